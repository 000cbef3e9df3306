/// The public website: landing, models and prices, privacy policy (rendered from live settings), terms, cookies and
/// the contact form.
extension Templates {
    static let home = """
        {{<layout}}{{$body}}
        <section class="hero">
          <h1>{{t.home_title}}</h1>
          <p class="lead">{{t.home_lead}}</p>
          <p><a class="button" href="/register">{{t.home_cta}}</a> <a class="button secondary" href="/pricing">{{t.nav_pricing}}</a></p>
        </section>
        <section class="grid3">
          <div class="card"><h2>{{t.home_f1_title}}</h2><p>{{t.home_f1_text}}</p></div>
          <div class="card"><h2>{{t.home_f2_title}}</h2><p>{{t.home_f2_text}}</p></div>
          <div class="card"><h2>{{t.home_f3_title}}</h2><p>{{t.home_f3_text}}</p></div>
        </section>
        <section>
          <h2>{{t.home_quickstart}}</h2>
          <pre><code>from openai import OpenAI
        client = OpenAI(base_url="{{baseURL}}/v1", api_key="sk-...")
        client.chat.completions.create(model="{{exampleModel}}", messages=[{"role": "user", "content": "Hi"}])</code></pre>
        </section>
        {{/body}}{{/layout}}
        """

    static let pricing = """
        {{<layout}}{{$body}}
        <h1>{{t.pricing_title}}</h1>
        <p>{{t.pricing_intro}}</p>
        <table>
          <caption>{{t.pricing_caption}}</caption>
          <thead><tr><th scope="col">{{t.col_model}}</th><th scope="col" class="num">{{t.col_input}}</th><th scope="col" class="num">{{t.col_cached_input}}</th><th scope="col" class="num">{{t.col_cache_write}}</th><th scope="col" class="num">{{t.col_output}}</th></tr></thead>
          <tbody>
          {{#prices}}<tr><td><code>{{model}}</code></td><td class="num">{{input}}</td><td class="num">{{cached}}</td><td class="num">{{cacheWrite}}</td><td class="num">{{output}}</td></tr>{{/prices}}
          {{^prices}}<tr><td colspan="4">{{t.pricing_empty}}</td></tr>{{/prices}}
          </tbody>
        </table>
        <p class="muted">{{t.pricing_unit}} {{currency}}</p>
        {{/body}}{{/layout}}
        """

    static let privacy = """
        {{<layout}}{{$body}}
        <article class="prose">
        <h1>{{t.privacy_title}}</h1>
        <p class="muted">{{t.privacy_version}} {{policyVersion}}</p>
        <p>{{t.privacy_intro}}</p>
        <h2>{{t.privacy_never_title}}</h2>
        <p>{{t.privacy_never_text}}</p>
        <h2>{{t.privacy_collect_title}}</h2>
        <table>
          <thead><tr><th scope="col">{{t.col_category}}</th><th scope="col">{{t.col_data}}</th><th scope="col">{{t.col_retention}}</th></tr></thead>
          <tbody>{{#categories}}<tr><td>{{name}}</td><td>{{items}}</td><td>{{retention}}</td></tr>{{/categories}}</tbody>
        </table>
        <h2>{{t.privacy_schedule_title}}</h2>
        <p>{{t.privacy_schedule_text}}</p>
        <table id="retention-schedule">
          <thead><tr><th scope="col">{{t.col_record}}</th><th scope="col">{{t.col_kept}}</th></tr></thead>
          <tbody>{{#schedule}}<tr data-retention="{{name}}"><td>{{what}}</td><td>{{days}}</td></tr>{{/schedule}}</tbody>
        </table>
        <h2>{{t.privacy_upstreams_title}}</h2>
        <p>{{t.privacy_upstreams_text}}</p>
        <table>
          <thead><tr><th scope="col">{{t.col_provider}}</th><th scope="col">{{t.col_region}}</th><th scope="col">{{t.col_retains}}</th><th scope="col">{{t.col_trains}}</th></tr></thead>
          <tbody>
          {{#upstreams}}<tr><td>{{provider}}</td><td>{{region}}</td><td>{{retains}}</td><td>{{trains}}</td></tr>{{/upstreams}}
          {{^upstreams}}<tr><td colspan="4">{{t.privacy_no_upstreams}}</td></tr>{{/upstreams}}
          </tbody>
        </table>
        <h2>{{t.privacy_processors_title}}</h2>
        <ul>{{#processors}}<li>{{.}}</li>{{/processors}}</ul>
        <h2>{{t.privacy_cookies_title}}</h2>
        <p>{{t.privacy_cookies_text}} <a href="/cookies">{{t.nav_cookies}}</a></p>
        <h2>{{t.privacy_rights_title}}</h2>
        <p>{{t.privacy_rights_text}} <a href="/contact">{{t.nav_contact}}</a></p>
        <h2>{{t.privacy_security_title}}</h2>
        <p>{{t.privacy_security_text}}</p>
        </article>
        {{/body}}{{/layout}}
        """

    static let terms = """
        {{<layout}}{{$body}}
        <article class="prose">
        <h1>{{t.terms_title}}</h1>
        <p class="muted">{{t.privacy_version}} {{policyVersion}}</p>
        <h2>{{t.terms_use_title}}</h2><p>{{t.terms_use_text}}</p>
        <h2>{{t.terms_billing_title}}</h2><p>{{t.terms_billing_text}}</p>
        <h2>{{t.terms_age_title}}</h2><p>{{t.terms_age_text}}</p>
        <h2>{{t.terms_end_title}}</h2><p>{{t.terms_end_text}}</p>
        </article>
        {{/body}}{{/layout}}
        """

    static let cookies = """
        {{<layout}}{{$body}}
        <article class="prose">
        <h1>{{t.cookies_title}}</h1>
        <p>{{t.cookies_intro}}</p>
        <table>
          <thead><tr><th scope="col">{{t.col_cookie}}</th><th scope="col">{{t.col_category}}</th><th scope="col">{{t.col_purpose}}</th></tr></thead>
          <tbody>
            <tr><td><code>wharf_session</code></td><td>{{t.cookie_cat_essential}}</td><td>{{t.cookie_session_purpose}}</td></tr>
            <tr><td><code>wharf_csrf</code></td><td>{{t.cookie_cat_essential}}</td><td>{{t.cookie_csrf_purpose}}</td></tr>
            <tr><td><code>wharf_consent</code></td><td>{{t.cookie_cat_essential}}</td><td>{{t.cookie_consent_purpose}}</td></tr>
            <tr><td><code>wharf_lang</code></td><td>{{t.cookie_cat_functional}}</td><td>{{t.cookie_lang_purpose}}</td></tr>
          </tbody>
        </table>
        <p>{{t.cookies_no_analytics}}</p>
        <h2>{{t.cookies_choice_title}}</h2>
        <form method="post" action="/cookies">
          <input type="hidden" name="_csrf" value="{{csrf}}">
          <p><label><input type="checkbox" checked disabled> {{t.cookie_cat_essential}}</label></p>
          <p><label><input type="checkbox" name="functional" {{#functional}}checked{{/functional}}> {{t.cookie_cat_functional}}</label></p>
          <p><button type="submit" name="choice" value="custom">{{t.cookies_save}}</button></p>
        </form>
        </article>
        {{/body}}{{/layout}}
        """

    static let contact = """
        {{<layout}}{{$body}}
        <section class="narrow">
        <h1>{{t.contact_title}}</h1>
        <p>{{t.contact_intro}}</p>
        <form method="post" action="/contact">
          <input type="hidden" name="_csrf" value="{{csrf}}">
          <label for="email">{{t.field_email}}</label>
          <input id="email" name="email" type="email" required maxlength="254" value="{{form.email}}" autocomplete="email">
          <label for="subject">{{t.field_subject}}</label>
          <input id="subject" name="subject" required maxlength="200" value="{{form.subject}}">
          <label for="message">{{t.field_message}}</label>
          <textarea id="message" name="message" required maxlength="5000" rows="6">{{form.message}}</textarea>
          <button type="submit">{{t.contact_send}}</button>
        </form>
        </section>
        {{/body}}{{/layout}}
        """
}
