/// The page frame every page fills: header with navigation and language switcher, the cookie banner until a choice
/// is made, the page body, and the footer. Strings come from `t` (the visitor's language table).
extension Templates {
    static let layout = """
        <!doctype html>
        <html lang="{{lang}}">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>{{title}} · Wharf</title>
        <link rel="stylesheet" href="/assets/wharf.css">
        </head>
        <body>
        <a class="skip" href="#main">{{t.skip_to_content}}</a>
        <header class="top">
          <a class="brand" href="/">Wharf</a>
          <nav aria-label="{{t.nav_label}}">
            <a href="/pricing">{{t.nav_pricing}}</a>
            <a href="/privacy">{{t.nav_privacy}}</a>
            {{#user}}
            <a href="/console">{{t.nav_console}}</a>
            {{#isStaff}}<a href="/admin">{{t.nav_admin}}</a>{{/isStaff}}
            {{/user}}
          </nav>
          <div class="account">
            {{#user}}
            <span class="who">{{username}}</span>
            <form method="post" action="/logout" class="inline">
              <input type="hidden" name="_csrf" value="{{csrf}}">
              <button type="submit" class="link" id="logout">{{t.nav_logout}}</button>
            </form>
            {{/user}}
            {{^user}}
            <a href="/login">{{t.nav_login}}</a>
            <a class="button small" href="/register">{{t.nav_register}}</a>
            {{/user}}
            <span class="langs">{{#languages}}{{#current}}<strong>{{name}}</strong>{{/current}}{{^current}}<a href="?lang={{tag}}" hreflang="{{tag}}" lang="{{tag}}">{{name}}</a>{{/current}} {{/languages}}</span>
          </div>
        </header>
        {{#consentBanner}}
        <aside class="consent" aria-label="{{t.cookie_banner_label}}">
          <p>{{t.cookie_banner_text}} <a href="/cookies">{{t.cookie_banner_more}}</a></p>
          <form method="post" action="/cookies">
            <input type="hidden" name="_csrf" value="{{csrf}}">
            <input type="hidden" name="functional" value="on">
            <button type="submit" name="choice" value="functional">{{t.cookie_accept_functional}}</button>
          </form>
          <form method="post" action="/cookies">
            <input type="hidden" name="_csrf" value="{{csrf}}">
            <button type="submit" class="secondary" name="choice" value="essential">{{t.cookie_essential_only}}</button>
          </form>
        </aside>
        {{/consentBanner}}
        <main id="main">
        {{#siteNotice}}<p class="notice" id="site-notice">{{siteNotice}}</p>{{/siteNotice}}
        {{#notice}}<p class="notice" role="status">{{notice}}</p>{{/notice}}
        {{#error}}<p class="error" role="alert">{{error}}</p>{{/error}}
        {{$body}}{{/body}}
        </main>
        <footer>
          <a href="/terms">{{t.nav_terms}}</a>
          <a href="/privacy">{{t.nav_privacy}}</a>
          <a href="/cookies">{{t.nav_cookies}}</a>
          <a href="/contact">{{t.nav_contact}}</a>
          <span>{{t.footer_promise}}</span>
        </footer>
        </body>
        </html>
        """

    static let consoleNav = """
        <nav class="tabs" aria-label="{{t.console_nav_label}}">
          <a href="/console" {{#tabDashboard}}aria-current="page"{{/tabDashboard}}>{{t.console_dashboard}}</a>
          <a href="/console/keys" {{#tabKeys}}aria-current="page"{{/tabKeys}}>{{t.console_keys}}</a>
          <a href="/console/usage" {{#tabUsage}}aria-current="page"{{/tabUsage}}>{{t.console_usage}}</a>
          <a href="/console/billing" {{#tabBilling}}aria-current="page"{{/tabBilling}}>{{t.console_billing}}</a>
          <a href="/console/support" {{#tabSupport}}aria-current="page"{{/tabSupport}}>{{t.console_support}}</a>
          <a href="/console/settings" {{#tabSettings}}aria-current="page"{{/tabSettings}}>{{t.console_settings}}</a>
        </nav>
        """

    static let adminNav = """
        <nav class="tabs" aria-label="{{t.admin_nav_label}}">
          <a href="/admin/users" {{#tabUsers}}aria-current="page"{{/tabUsers}}>{{t.admin_users}}</a>
          <a href="/admin/channels" {{#tabChannels}}aria-current="page"{{/tabChannels}}>{{t.admin_channels}}</a>
          <a href="/admin/prices" {{#tabPrices}}aria-current="page"{{/tabPrices}}>{{t.admin_prices}}</a>
          <a href="/admin/payments" {{#tabPayments}}aria-current="page"{{/tabPayments}}>{{t.admin_payments}}</a>
          <a href="/admin/orders" {{#tabOrders}}aria-current="page"{{/tabOrders}}>{{t.admin_orders}}</a>
          <a href="/admin/codes" {{#tabCodes}}aria-current="page"{{/tabCodes}}>{{t.admin_codes}}</a>
          <a href="/admin/settings" {{#tabSettings}}aria-current="page"{{/tabSettings}}>{{t.admin_settings}}</a>
          <a href="/admin/support" {{#tabSupport}}aria-current="page"{{/tabSupport}}>{{t.admin_support}}</a>
          <a href="/admin/audit" {{#tabAudit}}aria-current="page"{{/tabAudit}}>{{t.admin_audit}}</a>
        </nav>
        """

    /// Newer/older links of a paged table (`prevHref`, `nextHref`, `page`).
    static let pager = """
        <nav class="pager" aria-label="{{t.pager_label}}">
          {{#prevHref}}<a href="{{prevHref}}" rel="prev">{{t.pager_prev}}</a>{{/prevHref}}
          <span>{{t.pager_page}} {{page}}</span>
          {{#nextHref}}<a href="{{nextHref}}" rel="next">{{t.pager_next}}</a>{{/nextHref}}
        </nav>
        """

    /// A new-password input with the stated rules (its label stays with the form).
    static let newPassword = """
        <input id="password" name="password" type="password" required minlength="10" maxlength="128" \
        autocomplete="new-password" aria-describedby="password-rule">
        <p class="hint" id="password-rule">{{t.password_rule}}</p>
        """

    /// A page with a heading and one paragraph (confirmations, errors).
    static let policyAccept = """
        {{<layout}}{{$body}}
        <section class="narrow">
        <h1>{{t.policy_accept_title}}</h1>
        <p>{{t.policy_accept_text}}</p>
        <p class="muted">{{t.policy_accept_versions}} {{previous}} → {{version}}</p>
        <p><a href="/privacy" target="_blank">{{t.nav_privacy}}</a> · <a href="/terms" target="_blank">{{t.nav_terms}}</a></p>
        <p class="hint">{{t.policy_accept_refuse}} <a href="/console/settings#privacy">{{t.settings_privacy}}</a></p>
        <form method="post" action="/console/policy">
          <input type="hidden" name="_csrf" value="{{csrf}}">
          <p><label><input type="checkbox" name="accept" id="accept-policy" required> {{t.policy_accept_checkbox}}</label></p>
          <button type="submit" id="accept-policy-submit">{{t.policy_accept_button}}</button>
        </form>
        <form method="post" action="/logout"><input type="hidden" name="_csrf" value="{{csrf}}"><button type="submit" class="secondary">{{t.nav_logout}}</button></form>
        </section>
        {{/body}}{{/layout}}
        """

    static let message = """
        {{<layout}}{{$body}}
        <section class="narrow">
        <h1>{{heading}}</h1>
        <p>{{text}}</p>
        {{#linkHref}}<p><a class="button" href="{{linkHref}}">{{linkText}}</a></p>{{/linkHref}}
        </section>
        {{/body}}{{/layout}}
        """
}
