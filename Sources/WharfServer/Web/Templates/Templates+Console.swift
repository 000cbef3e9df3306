/// The signed-in console: dashboard, API keys, request log, billing history and account settings.
extension Templates {
    static let dashboard = """
        {{<layout}}{{$body}}
        {{>consoleNav}}
        <h1>{{t.console_dashboard}}</h1>
        <section class="stats">
          <div class="stat"><span class="label">{{t.dash_balance}}</span><span class="value" id="balance">{{balance}}</span></div>
          <div class="stat"><span class="label">{{t.dash_spend_today}}</span><span class="value">{{spendToday}}</span></div>
          <div class="stat"><span class="label">{{t.dash_spend_30d}}</span><span class="value">{{spend30}}</span></div>
          <div class="stat"><span class="label">{{t.dash_requests_30d}}</span><span class="value" id="requests-30d">{{requests30}}</span></div>
        </section>
        <section>
          <h2>{{t.dash_requests_per_day}}</h2>
          <figure id="chart-requests">{{{requestsChart}}}</figure>
          <h2>{{t.dash_cost_per_day}}</h2>
          <figure id="chart-cost">{{{costChart}}}</figure>
        </section>
        <section>
          <h2>{{t.dash_by_model}}</h2>
          <table>
            <thead><tr><th scope="col">{{t.col_model}}</th><th scope="col" class="num">{{t.col_requests}}</th><th scope="col" class="num">{{t.col_tokens}}</th><th scope="col" class="num">{{t.col_cost}}</th></tr></thead>
            <tbody>
            {{#byModel}}<tr><td><code>{{model}}</code></td><td class="num">{{requests}}</td><td class="num">{{tokens}}</td><td class="num">{{cost}}</td></tr>{{/byModel}}
            {{^byModel}}<tr><td colspan="4">{{t.dash_no_usage}}</td></tr>{{/byModel}}
            </tbody>
          </table>
        </section>
        {{/body}}{{/layout}}
        """

    static let keys = """
        {{<layout}}{{$body}}
        {{>consoleNav}}
        <h1>{{t.console_keys}}</h1>
        {{#secret}}
        <section class="secret" role="status">
          <h2>{{t.keys_created_title}}</h2>
          <p>{{t.keys_created_text}}</p>
          <p><code id="new-key-secret">{{secret}}</code></p>
        </section>
        {{/secret}}
        <table>
          <thead><tr><th scope="col">{{t.col_name}}</th><th scope="col">{{t.col_key}}</th><th scope="col">{{t.col_status}}</th><th scope="col">{{t.col_models}}</th><th scope="col">{{t.col_expires}}</th><th scope="col">{{t.col_transfer}}</th><th scope="col" class="num">{{t.col_spent}}</th><th scope="col"></th></tr></thead>
          <tbody>
          {{#keys}}<tr><td>{{name}}</td><td><code>{{prefix}}…</code></td><td>{{status}}</td><td>{{models}}</td><td>{{expires}}</td><td>{{transfer}}</td><td class="num">{{spent}}{{#limit}} / {{limit}}{{/limit}}</td>
            <td>{{#active}}<form method="post" action="/console/keys/{{id}}/revoke" class="inline"><input type="hidden" name="_csrf" value="{{csrf}}"><button type="submit" class="danger small">{{t.keys_revoke}}</button></form>{{/active}}</td></tr>{{/keys}}
          {{^keys}}<tr><td colspan="8">{{t.keys_none}}</td></tr>{{/keys}}
          </tbody>
        </table>
        <h2>{{t.keys_new_title}}</h2>
        <form method="post" action="/console/keys" class="wide">
          <input type="hidden" name="_csrf" value="{{csrf}}">
          <label for="name">{{t.col_name}}</label>
          <input id="name" name="name" required maxlength="64" value="{{form.name}}">
          <label for="expires">{{t.keys_expires_label}}</label>
          <input id="expires" name="expires" type="date" value="{{form.expires}}">
          <label for="models">{{t.keys_models_label}}</label>
          <input id="models" name="models" maxlength="1000" value="{{form.models}}" aria-describedby="models-hint">
          <p class="hint" id="models-hint">{{t.keys_models_hint}}</p>
          <label for="ips">{{t.keys_ips_label}}</label>
          <input id="ips" name="ips" maxlength="1000" value="{{form.ips}}" aria-describedby="ips-hint">
          <p class="hint" id="ips-hint">{{t.keys_ips_hint}}</p>
          <label for="limit">{{t.keys_limit_label}}</label>
          <input id="limit" name="limit" inputmode="decimal" maxlength="20" value="{{form.limit}}">
          <fieldset><legend>{{t.keys_transfer_legend}}</legend>
          <label for="regions">{{t.keys_regions_label}}</label>
          <input id="regions" name="regions" maxlength="200" value="{{form.regions}}" aria-describedby="regions-hint">
          <p class="hint" id="regions-hint">{{t.keys_regions_hint}}</p>
          <p><label><input type="checkbox" name="zero_retention" id="zero_retention"> {{t.keys_zero_retention}}</label></p>
          <p><label><input type="checkbox" name="no_training" id="no_training"> {{t.keys_no_training}}</label></p>
          </fieldset>
          <button type="submit" id="create-key">{{t.keys_create}}</button>
        </form>
        {{/body}}{{/layout}}
        """

    static let usage = """
        {{<layout}}{{$body}}
        {{>consoleNav}}
        <h1>{{t.console_usage}}</h1>
        <form method="get" action="/console/usage" class="filters">
          <label>{{t.filter_from}} <input name="from" type="date" value="{{filter.from}}"></label>
          <label>{{t.filter_to}} <input name="to" type="date" value="{{filter.to}}"></label>
          <label>{{t.col_model}} <input name="model" maxlength="100" value="{{filter.model}}"></label>
          <label>{{t.col_key}} <select name="key"><option value="">{{t.filter_any}}</option>{{#keyOptions}}<option value="{{id}}" {{#selected}}selected{{/selected}}>{{name}}</option>{{/keyOptions}}</select></label>
          <label>{{t.col_status}} <input name="status" maxlength="40" value="{{filter.status}}"></label>
          <button type="submit">{{t.filter_apply}}</button>
          <a class="button secondary" href="/console/usage.csv?{{query}}">{{t.usage_csv}}</a>
        </form>
        <p class="muted">{{t.usage_total}} {{total}}</p>
        <table id="usage-log">
          <thead><tr><th scope="col">{{t.col_time}}</th><th scope="col">{{t.col_model}}</th><th scope="col">{{t.col_key}}</th><th scope="col">{{t.col_status}}</th><th scope="col">{{t.col_region}}</th><th scope="col" class="num">{{t.col_prompt}}</th><th scope="col" class="num">{{t.col_cached_input}}</th><th scope="col" class="num">{{t.col_cache_write}}</th><th scope="col" class="num">{{t.col_completion}}</th><th scope="col" class="num">{{t.col_reasoning}}</th><th scope="col" class="num">{{t.col_cost}}</th><th scope="col" class="num">{{t.col_latency}}</th><th scope="col">{{t.col_content_stored}}</th></tr></thead>
          <tbody>
          {{#rows}}<tr><td>{{time}}</td><td><code>{{model}}</code></td><td>{{key}}</td><td>{{status}}</td><td data-col="region">{{region}}</td><td class="num">{{prompt}}</td><td class="num">{{cached}}</td><td class="num">{{cacheWrite}}</td><td class="num">{{completion}}</td><td class="num">{{reasoning}}</td><td class="num">{{cost}}</td><td class="num">{{latency}}</td><td>{{t.content_stored_no}}</td></tr>{{/rows}}
          {{^rows}}<tr><td colspan="9">{{t.usage_none}}</td></tr>{{/rows}}
          </tbody>
        </table>
        {{>pager}}
        {{/body}}{{/layout}}
        """

    static let supportTickets = """
        {{<layout}}{{$body}}
        {{>consoleNav}}
        <h1>{{t.console_support}}</h1>
        <table id="tickets">
          <thead><tr><th scope="col">{{t.ticket_subject}}</th><th scope="col">{{t.col_time}}</th><th scope="col">{{t.col_status}}</th></tr></thead>
          <tbody>
          {{#tickets}}<tr><td><a href="/console/support/{{id}}">{{subject}}</a></td><td>{{time}}</td><td>{{status}}</td></tr>{{/tickets}}
          {{^tickets}}<tr><td colspan="3">{{t.tickets_none}}</td></tr>{{/tickets}}
          </tbody>
        </table>
        <section>
        <h2>{{t.ticket_new}}</h2>
        <form method="post" action="/console/support" id="ticket-form">
          <input type="hidden" name="_csrf" value="{{csrf}}">
          <label for="ticket_subject">{{t.ticket_subject}}</label>
          <input id="ticket_subject" name="subject" required maxlength="200" value="{{form.subject}}">
          <label for="ticket_message">{{t.ticket_message}}</label>
          <textarea id="ticket_message" name="message" required maxlength="5000" rows="6">{{form.message}}</textarea>
          <p class="hint">{{t.ticket_hint}}</p>
          <button type="submit" id="ticket-submit">{{t.ticket_open}}</button>
        </form>
        </section>
        {{/body}}{{/layout}}
        """

    static let supportThread = """
        {{<layout}}{{$body}}
        {{>consoleNav}}
        <p><a href="/console/support">← {{t.console_support}}</a></p>
        <h1>{{subject}}</h1>
        <p class="muted">{{time}} · {{status}}</p>
        <article class="card" id="thread">
          <div class="reply mine"><p class="muted">{{t.ticket_from_you}} · {{time}}</p><p class="pre">{{body}}</p></div>
          {{#replies}}<div class="reply{{#staff}} staff{{/staff}}"><p class="muted">{{who}} · {{time}}</p><p class="pre">{{body}}</p></div>{{/replies}}
        </article>
        <form method="post" action="/console/support/{{id}}/reply" id="ticket-reply-form">
          <input type="hidden" name="_csrf" value="{{csrf}}">
          <label for="ticket_reply">{{t.ticket_reply}}</label>
          <textarea id="ticket_reply" name="message" required maxlength="5000" rows="4"></textarea>
          <button type="submit" id="ticket-reply-submit">{{t.ticket_send}}</button>
        </form>
        {{/body}}{{/layout}}
        """

    static let settings = """
        {{<layout}}{{$body}}
        {{>consoleNav}}
        <h1>{{t.console_settings}}</h1>
        <section>
        <h2>{{t.settings_account}}</h2>
        <dl><dt>{{t.field_email}}</dt><dd id="account-email">{{email}}</dd><dt>{{t.field_username}}</dt><dd>{{username}}</dd></dl>
        {{#pendingEmail}}<p class="hint">{{t.email_change_pending}} {{pendingEmail}}</p>{{/pendingEmail}}
        <form method="post" action="/console/settings/email">
          <input type="hidden" name="_csrf" value="{{csrf}}">
          <label for="new_email">{{t.field_new_email}}</label>
          <input id="new_email" name="email" type="email" required maxlength="254" autocomplete="email">
          <label for="email_password">{{t.field_current_password}}</label>
          <input id="email_password" name="password" type="password" required maxlength="128" autocomplete="current-password">
          <button type="submit">{{t.email_change_submit}}</button>
        </form>
        </section>
        <section>
        <h2>{{t.twofa_section}}</h2>
        {{#twoFactor}}
        <p id="twofa-status">{{t.twofa_on}} {{t.twofa_codes_left}} {{backupLeft}}</p>
        <form method="post" action="/console/2fa/disable">
          <input type="hidden" name="_csrf" value="{{csrf}}">
          <label for="disable_password">{{t.field_current_password}}</label>
          <input id="disable_password" name="password" type="password" required maxlength="128" autocomplete="current-password">
          <label for="disable_code">{{t.twofa_code}}</label>
          <input id="disable_code" name="code" required maxlength="20" autocomplete="one-time-code">
          <button type="submit" class="danger">{{t.twofa_disable}}</button>
        </form>
        {{/twoFactor}}
        {{^twoFactor}}
        <p id="twofa-status">{{t.twofa_off}}</p>
        <form method="post" action="/console/2fa/setup">
          <input type="hidden" name="_csrf" value="{{csrf}}">
          <button type="submit" id="twofa-setup">{{t.twofa_setup_button}}</button>
        </form>
        {{/twoFactor}}
        </section>
        {{#telegramBotName}}
        <section>
        <h2>{{t.telegram_section}}</h2>
        {{#telegramLinked}}<p>{{t.telegram_linked}}</p>
        <form method="post" action="/console/telegram/unlink"><input type="hidden" name="_csrf" value="{{csrf}}"><button type="submit" class="secondary">{{t.telegram_unlink}}</button></form>{{/telegramLinked}}
        {{^telegramLinked}}<p>{{t.telegram_not_linked}}</p><p><script async src="https://telegram.org/js/telegram-widget.js?22" data-telegram-login="{{telegramBotName}}" data-size="large" data-auth-url="{{telegramAuthURL}}" data-request-access="write"></script><noscript>{{t.telegram_needs_script}}</noscript></p>{{/telegramLinked}}
        </section>
        {{/telegramBotName}}
        <section>
        <h2>{{t.settings_preferences}}</h2>
        <form method="post" action="/console/settings/preferences">
          <input type="hidden" name="_csrf" value="{{csrf}}">
          <label for="language">{{t.settings_language}}</label>
          <select id="language" name="language">{{#languages}}<option value="{{tag}}" {{#current}}selected{{/current}}>{{name}}</option>{{/languages}}</select>
          <p><label><input type="checkbox" name="notify_login" {{#notifyLogin}}checked{{/notifyLogin}}> {{t.settings_notify_login}}</label></p>
          <button type="submit">{{t.save}}</button>
        </form>
        </section>
        <section>
        <h2>{{t.settings_password}}</h2>
        <form method="post" action="/console/settings/password">
          <input type="hidden" name="_csrf" value="{{csrf}}">
          <label for="current">{{t.field_current_password}}</label>
          <input id="current" name="current" type="password" required maxlength="128" autocomplete="current-password">
          <label for="password">{{t.field_new_password}}</label>
          {{>newPassword}}
          <button type="submit">{{t.settings_change_password}}</button>
        </form>
        </section>
        <section>
        <h2>{{t.settings_profile}}</h2>
        <form method="post" action="/console/settings/profile">
          <input type="hidden" name="_csrf" value="{{csrf}}">
          <label for="profile_username">{{t.field_username}}</label>
          <input id="profile_username" name="username" required maxlength="32" value="{{username}}" autocomplete="username">
          <label for="profile_phone">{{t.field_phone}}</label>
          <input id="profile_phone" name="phone" maxlength="32" value="{{phone}}" autocomplete="tel">
          <button type="submit">{{t.save}}</button>
        </form>
        </section>
        <section id="privacy">
        <h2>{{t.settings_privacy}}</h2>
        <p>{{t.privacy_export_text}}</p>
        <p><a class="button secondary" id="export-link" href="/console/account/export" download>{{t.privacy_export_button}}</a></p>
        <h3>{{t.privacy_transfer_title}}</h3>
        <p>{{t.privacy_transfer_text}}</p>
        <form method="post" action="/console/settings/transfer" id="transfer-form">
          <input type="hidden" name="_csrf" value="{{csrf}}">
          <label for="account_regions">{{t.keys_regions_label}}</label>
          <input id="account_regions" name="regions" maxlength="200" value="{{transferRegions}}">
          <p><label><input type="checkbox" name="zero_retention" {{#transferZeroRetention}}checked{{/transferZeroRetention}}> {{t.keys_zero_retention}}</label></p>
          <p><label><input type="checkbox" name="no_training" {{#transferNoTraining}}checked{{/transferNoTraining}}> {{t.keys_no_training}}</label></p>
          <button type="submit">{{t.save}}</button>
        </form>
        <h3>{{t.privacy_freeze_title}}</h3>
        {{#frozen}}<p id="freeze-status">{{t.privacy_frozen_text}}</p>
        <form method="post" action="/console/account/unfreeze"><input type="hidden" name="_csrf" value="{{csrf}}">
          <label for="unfreeze_password">{{t.field_current_password}}</label>
          <input id="unfreeze_password" name="password" type="password" required maxlength="128" autocomplete="current-password">
          {{#twoFactor}}<label for="unfreeze_code">{{t.twofa_code}}</label>
          <input id="unfreeze_code" name="code" required maxlength="20" autocomplete="one-time-code">{{/twoFactor}}
          <button type="submit" id="unfreeze">{{t.privacy_unfreeze_button}}</button></form>{{/frozen}}
        {{^frozen}}<p id="freeze-status">{{t.privacy_freeze_text}}</p>
        <form method="post" action="/console/account/freeze"><input type="hidden" name="_csrf" value="{{csrf}}"><button type="submit" class="secondary" id="freeze">{{t.privacy_freeze_button}}</button></form>{{/frozen}}
        <h3>{{t.privacy_delete_title}}</h3>
        <p>{{t.privacy_delete_text}}</p>
        <form method="post" action="/console/account/delete" id="delete-form">
          <input type="hidden" name="_csrf" value="{{csrf}}">
          <label for="delete_password">{{t.field_current_password}}</label>
          <input id="delete_password" name="password" type="password" required maxlength="128" autocomplete="current-password">
          {{#twoFactor}}<label for="delete_code">{{t.twofa_code}}</label>
          <input id="delete_code" name="code" required maxlength="20" autocomplete="one-time-code">{{/twoFactor}}
          <button type="submit" class="danger" id="delete-account">{{t.privacy_delete_button}}</button>
        </form>
        </section>
        <section>
        <h2>{{t.settings_sessions}}</h2>
        <table>
          <thead><tr><th scope="col">{{t.col_device}}</th><th scope="col">{{t.col_address}}</th><th scope="col">{{t.col_signed_in}}</th><th scope="col">{{t.col_last_seen}}</th><th scope="col"></th></tr></thead>
          <tbody>
          {{#sessions}}<tr><td>{{device}}</td><td>{{ip}}</td><td>{{created}}</td><td>{{lastSeen}}</td><td>{{#current}}{{t.settings_this_session}}{{/current}}{{^current}}<form method="post" action="/console/sessions/{{id}}/revoke" class="inline"><input type="hidden" name="_csrf" value="{{csrf}}"><button type="submit" class="danger small">{{t.settings_end_session}}</button></form>{{/current}}</td></tr>{{/sessions}}
          </tbody>
        </table>
        </section>
        {{/body}}{{/layout}}
        """
}
