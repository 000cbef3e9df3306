import Crypto
import Foundation

/// The billing pages: balance, top-up form, redemption, orders and ledger; an order's receipt; the hand-off page
/// that posts a signed order to a gateway (Epay page pay).
extension Templates {
    static let billing = """
        {{<layout}}{{$body}}
        {{>consoleNav}}
        <h1>{{t.console_billing}}</h1>
        <p>{{t.dash_balance}}: <strong id="balance">{{balance}}</strong></p>
        <section id="topup">
        <h2>{{t.topup_heading}}</h2>
        {{#hasGateways}}
        <form method="post" action="/console/billing/topup">
          <input type="hidden" name="_csrf" value="{{csrf}}">
          <label for="topup_gateway">{{t.topup_gateway}}</label>
          <select id="topup_gateway" name="gateway" required>
          {{#gateways}}<option value="{{name}}" {{#selected}}selected{{/selected}}>{{name}} ({{currency}})</option>{{/gateways}}
          </select>
          <label for="topup_method">{{t.topup_method}}</label>
          <select id="topup_method" name="method">
          <option value="">{{t.topup_method_default}}</option>
          {{#methods}}<option value="{{name}}" {{#selected}}selected{{/selected}}>{{name}}</option>{{/methods}}
          </select>
          <label for="topup_amount">{{t.topup_amount}}</label>
          <input id="topup_amount" name="amount" inputmode="decimal" required maxlength="20" list="topup_presets" value="{{amount}}" aria-describedby="topup_limits">
          <datalist id="topup_presets">{{#presets}}<option value="{{.}}">{{/presets}}</datalist>
          <ul class="hint" id="topup_limits">{{#gateways}}<li>{{name}} ({{methods}}): {{limits}}</li>{{/gateways}}</ul>
          <button type="submit">{{t.topup_submit}}</button>
        </form>
        {{/hasGateways}}
        {{^hasGateways}}<p>{{t.topup_none}}</p>{{/hasGateways}}
        </section>
        <section id="redeem">
        <h2>{{t.redeem_heading}}</h2>
        <form method="post" action="/console/billing/redeem">
          <input type="hidden" name="_csrf" value="{{csrf}}">
          <label for="redeem_code">{{t.redeem_code}}</label>
          <input id="redeem_code" name="code" required maxlength="100" autocomplete="off" spellcheck="false">
          <button type="submit">{{t.redeem_submit}}</button>
        </form>
        </section>
        <section>
        <h2>{{t.orders_heading}}</h2>
        {{>ordersTable}}
        <p><a href="/console/billing/orders">{{t.orders_all}}</a></p>
        </section>
        <section>
        <h2>{{t.billing_ledger}}</h2>
        <table id="ledger">
          <thead><tr><th scope="col">{{t.col_time}}</th><th scope="col">{{t.col_kind}}</th><th scope="col" class="num">{{t.col_amount}}</th><th scope="col">{{t.col_reference}}</th></tr></thead>
          <tbody>
          {{#lines}}<tr><td>{{time}}</td><td>{{kind}}</td><td class="num">{{amount}}</td><td>{{reference}}</td></tr>{{/lines}}
          {{^lines}}<tr><td colspan="4">{{t.billing_none}}</td></tr>{{/lines}}
          </tbody>
        </table>
        {{>pager}}
        </section>
        {{/body}}{{/layout}}
        """

    /// The account's orders (`orders`), each linked to its receipt.
    static let ordersTable = """
        <table id="orders">
          <thead><tr><th scope="col">{{t.col_order}}</th><th scope="col">{{t.col_time}}</th><th scope="col">{{t.topup_method}}</th><th scope="col" class="num">{{t.col_amount}}</th><th scope="col" class="num">{{t.col_credit}}</th><th scope="col">{{t.col_status}}</th></tr></thead>
          <tbody>
          {{#orders}}<tr data-status="{{statusCode}}"><td><a href="/console/billing/orders/{{id}}">{{id}}</a></td><td>{{time}}</td><td>{{method}}</td><td class="num">{{amount}}</td><td class="num">{{credit}}</td><td>{{status}}</td></tr>{{/orders}}
          {{^orders}}<tr><td colspan="6">{{t.orders_none}}</td></tr>{{/orders}}
          </tbody>
        </table>
        """

    static let orders = """
        {{<layout}}{{$body}}
        {{>consoleNav}}
        <h1>{{t.orders_heading}}</h1>
        {{>ordersTable}}
        {{>pager}}
        <p><a href="/console/billing">{{t.receipt_back}}</a></p>
        {{/body}}{{/layout}}
        """

    static let receipt = """
        {{<layout}}{{$body}}
        <div class="no-print">{{>consoleNav}}</div>
        <article class="receipt" id="receipt">
        <h1>{{t.receipt_title}}</h1>
        <dl>
          <dt>{{t.receipt_order}}</dt><dd id="receipt-order">{{id}}</dd>
          <dt>{{t.field_email}}</dt><dd>{{email}}</dd>
          <dt>{{t.col_status}}</dt><dd id="receipt-status" data-status="{{statusCode}}">{{status}}</dd>
          <dt>{{t.topup_gateway}}</dt><dd>{{gateway}}</dd>
          <dt>{{t.topup_method}}</dt><dd>{{method}}</dd>
          <dt>{{t.col_amount}}</dt><dd id="receipt-amount">{{amount}}</dd>
          <dt>{{t.receipt_currency}}</dt><dd>{{currency}}</dd>
          <dt>{{t.col_credit}}</dt><dd id="receipt-credit">{{credit}}</dd>
          <dt>{{t.receipt_created}}</dt><dd>{{created}} UTC</dd>
          <dt>{{t.receipt_paid}}</dt><dd>{{paid}}{{#paidAt}} UTC{{/paidAt}}</dd>
          {{#refunded}}<dt>{{t.receipt_refunded}}</dt><dd>{{refunded}}</dd>{{/refunded}}
        </dl>
        {{#pending}}<p class="hint no-print" role="status">{{t.receipt_pending_hint}}</p>{{/pending}}
        </article>
        <p class="no-print"><a href="/console/billing">{{t.receipt_back}}</a></p>
        {{/body}}{{/layout}}
        """

    /// The only inline script of the site: it submits the hand-off form. Allowed by its hash alone.
    static let autoSubmitScript = #"document.getElementById("pay-form").submit();"#
    /// `sha256-…` of ``autoSubmitScript``, for the page's content security policy.
    static let autoSubmitScriptHash =
        "sha256-" + Data(SHA256.hash(data: Data(autoSubmitScript.utf8))).base64EncodedString()

    static let payRedirect = """
        {{<layout}}{{$body}}
        <h1>{{t.pay_redirect_title}}</h1>
        <p>{{t.pay_redirect_text}}</p>
        <form id="pay-form" method="post" action="{{action}}">
          {{#fields}}<input type="hidden" name="{{name}}" value="{{value}}">{{/fields}}
          <button type="submit" id="pay-button">{{t.pay_redirect_button}}</button>
        </form>
        <p class="hint"><a href="/console/billing/orders/{{orderID}}">{{t.receipt_title}}: {{orderID}}</a></p>
        <script>
        """ + autoSubmitScript + """
            </script>
            {{/body}}{{/layout}}
            """
}
