/// Sign-up, sign-in, password reset and first-run setup forms.
extension Templates {
    static let register = """
        {{<layout}}{{$body}}
        <section class="narrow">
        <h1>{{t.register_title}}</h1>
        {{#registrationClosed}}<p>{{t.register_closed}}</p>{{/registrationClosed}}
        {{^registrationClosed}}
        <form method="post" action="/register">
          <input type="hidden" name="_csrf" value="{{csrf}}">
          <label for="email">{{t.field_email}}</label>
          <input id="email" name="email" type="email" required maxlength="254" value="{{form.email}}" autocomplete="email">
          <label for="username">{{t.field_username}}</label>
          <input id="username" name="username" required minlength="3" maxlength="32" pattern="[A-Za-z0-9_.\\-]{3,32}" value="{{form.username}}" autocomplete="username" aria-describedby="username-rule">
          <p class="hint" id="username-rule">{{t.username_rule}}</p>
          <label for="password">{{t.field_password}}</label>
          {{>newPassword}}
          <label for="phone">{{t.field_phone_optional}}</label>
          <input id="phone" name="phone" type="tel" maxlength="32" value="{{form.phone}}" autocomplete="tel">
          <p><label><input type="checkbox" name="age" required> {{t.register_age}}</label></p>
          <p><label><input type="checkbox" name="policy" required> {{t.register_policy}} <a href="/privacy">{{t.nav_privacy}}</a> · <a href="/terms">{{t.nav_terms}}</a> ({{policyVersion}})</label></p>
          <button type="submit" id="register-submit">{{t.register_submit}}</button>
        </form>
        {{/registrationClosed}}
        <p>{{t.register_have_account}} <a href="/login">{{t.nav_login}}</a></p>
        </section>
        {{/body}}{{/layout}}
        """

    static let login = """
        {{<layout}}{{$body}}
        <section class="narrow">
        <h1>{{t.login_title}}</h1>
        <form method="post" action="/login">
          <input type="hidden" name="_csrf" value="{{csrf}}">
          <label for="email">{{t.field_email}}</label>
          <input id="email" name="email" type="email" required maxlength="254" value="{{form.email}}" autocomplete="email">
          <label for="password">{{t.field_password}}</label>
          <input id="password" name="password" type="password" required maxlength="128" autocomplete="current-password">
          <button type="submit" id="login-submit">{{t.login_submit}}</button>
        </form>
        <p><a href="/forgot">{{t.login_forgot}}</a> · <a href="/register">{{t.nav_register}}</a></p>
        {{#telegramBotName}}<p>{{t.telegram_login_button}}</p><p id="telegram-login"><script async src="https://telegram.org/js/telegram-widget.js?22" data-telegram-login="{{telegramBotName}}" data-size="large" data-auth-url="{{telegramAuthURL}}" data-request-access="write"></script><noscript>{{t.telegram_needs_script}}</noscript></p>{{/telegramBotName}}
        </section>
        {{/body}}{{/layout}}
        """

    static let forgot = """
        {{<layout}}{{$body}}
        <section class="narrow">
        <h1>{{t.forgot_title}}</h1>
        <p>{{t.forgot_intro}}</p>
        <form method="post" action="/forgot">
          <input type="hidden" name="_csrf" value="{{csrf}}">
          <label for="email">{{t.field_email}}</label>
          <input id="email" name="email" type="email" required maxlength="254" autocomplete="email">
          <button type="submit">{{t.forgot_submit}}</button>
        </form>
        </section>
        {{/body}}{{/layout}}
        """

    static let reset = """
        {{<layout}}{{$body}}
        <section class="narrow">
        <h1>{{t.reset_title}}</h1>
        <form method="post" action="/reset">
          <input type="hidden" name="_csrf" value="{{csrf}}">
          <input type="hidden" name="token" value="{{token}}">
          <label for="password">{{t.field_new_password}}</label>
          {{>newPassword}}
          <button type="submit">{{t.reset_submit}}</button>
        </form>
        </section>
        {{/body}}{{/layout}}
        """

    static let setup = """
        {{<layout}}{{$body}}
        <section class="narrow">
        <h1>{{t.setup_title}}</h1>
        <p>{{t.setup_intro}}</p>
        <form method="post" action="/setup/form">
          <input type="hidden" name="_csrf" value="{{csrf}}">
          <label for="token">{{t.field_setup_token}}</label>
          <input id="token" name="token" required maxlength="100" autocomplete="off">
          <label for="email">{{t.field_email}}</label>
          <input id="email" name="email" type="email" required maxlength="254" value="{{form.email}}">
          <label for="password">{{t.field_password}}</label>
          {{>newPassword}}
          <button type="submit">{{t.setup_submit}}</button>
        </form>
        </section>
        {{/body}}{{/layout}}
        """
}

/// Two-factor sign-in and set-up, and Telegram linking.
extension Templates {
    static let loginTwoFactor = """
        {{<layout}}{{$body}}
        <section class="narrow">
        <h1>{{t.twofa_title}}</h1>
        <p>{{t.twofa_intro}}</p>
        <form method="post" action="/login/2fa">
          <input type="hidden" name="_csrf" value="{{csrf}}">
          <label for="code">{{t.twofa_code}}</label>
          <input id="code" name="code" required maxlength="20" autocomplete="one-time-code" inputmode="numeric">
          <p class="hint">{{t.twofa_backup_hint}}</p>
          <button type="submit" id="twofa-submit">{{t.login_submit}}</button>
        </form>
        </section>
        {{/body}}{{/layout}}
        """

    static let twoFactorSetup = """
        {{<layout}}{{$body}}
        {{>consoleNav}}
        <section class="narrow">
        <h1>{{t.twofa_setup_title}}</h1>
        <p>{{t.twofa_setup_intro}}</p>
        <p><code id="totp-key">{{typedKey}}</code></p>
        <p class="hint">{{t.twofa_setup_uri}} <code class="pre" id="totp-uri">{{uri}}</code></p>
        <form method="post" action="/console/2fa/enable">
          <input type="hidden" name="_csrf" value="{{csrf}}">
          <label for="code">{{t.twofa_code}}</label>
          <input id="code" name="code" required maxlength="10" autocomplete="one-time-code" inputmode="numeric">
          <label for="twofa-password">{{t.field_current_password}}</label>
          <input id="twofa-password" name="password" type="password" required maxlength="128" autocomplete="current-password">
          <button type="submit" id="twofa-enable">{{t.twofa_enable}}</button>
        </form>
        </section>
        {{/body}}{{/layout}}
        """

    static let twoFactorBackupCodes = """
        {{<layout}}{{$body}}
        {{>consoleNav}}
        <section class="secret" role="status">
        <h1>{{t.twofa_codes_title}}</h1>
        <p>{{t.twofa_codes_text}}</p>
        <ul id="backup-codes">{{#codes}}<li><code>{{.}}</code></li>{{/codes}}</ul>
        </section>
        <p><a class="button" href="/console/settings">{{t.console_settings}}</a></p>
        {{/body}}{{/layout}}
        """

    static let telegramLink = """
        {{<layout}}{{$body}}
        <section class="narrow">
        <h1>{{t.telegram_link_title}}</h1>
        <p>{{t.telegram_link_text}} <strong>{{telegramName}}</strong></p>
        <form method="post" action="/login/telegram/link">
          <input type="hidden" name="_csrf" value="{{csrf}}">
          {{#fields}}<input type="hidden" name="{{name}}" value="{{value}}">{{/fields}}
          <label for="password">{{t.field_current_password}}</label>
          <input id="password" name="password" type="password" required maxlength="128" autocomplete="current-password">
          <button type="submit">{{t.telegram_link_confirm}}</button>
        </form>
        </section>
        {{/body}}{{/layout}}
        """
}
