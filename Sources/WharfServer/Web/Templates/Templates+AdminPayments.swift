/// Admin pages for payments: gateway instances, orders (with callbacks and refunds), redemption codes.
extension Templates {
    static let adminPayments = """
        {{<layout}}{{$body}}
        {{>adminNav}}
        <h1>{{t.admin_payments}}</h1>
        <table id="gateways">
          <thead><tr><th scope="col">{{t.col_name}}</th><th scope="col">{{t.pay_col_kind}}</th><th scope="col">{{t.col_status}}</th><th scope="col">{{t.receipt_currency}}</th><th scope="col" class="num">{{t.pay_col_rate}}</th><th scope="col">{{t.topup_method}}</th><th scope="col">{{t.pay_col_limits}}</th><th scope="col">{{t.pay_col_callback}}</th><th scope="col"></th></tr></thead>
          <tbody>
          {{#gateways}}<tr><td>{{name}}</td><td>{{kind}}</td><td>{{status}}</td><td>{{currency}}</td><td class="num">{{rate}}</td><td>{{methods}}</td><td>{{limits}}</td><td><code>{{callback}}</code></td>
            <td><form method="post" action="/admin/payments/{{id}}/{{toggle}}" class="inline"><input type="hidden" name="_csrf" value="{{csrf}}"><button type="submit" class="small secondary" aria-label="{{toggleLabel}}: {{name}}">{{toggleLabel}}</button></form></td></tr>{{/gateways}}
          {{^gateways}}<tr><td colspan="9">{{t.pay_no_gateways}}</td></tr>{{/gateways}}
          </tbody>
        </table>
        <h2>{{t.pay_add_gateway}}</h2>
        <form method="post" action="/admin/payments" class="wide">
          <input type="hidden" name="_csrf" value="{{csrf}}">
          <label for="name">{{t.col_name}}</label><input id="name" name="name" required maxlength="64" value="{{v_name}}">
          <label for="kind">{{t.pay_col_kind}}</label>
          <select id="kind" name="kind">{{#kinds}}<option value="{{name}}" {{#selected}}selected{{/selected}}>{{name}}</option>{{/kinds}}</select>
          <label for="gateway_url">{{t.pay_gateway_url}}</label><input id="gateway_url" name="gateway_url" type="url" required maxlength="500" value="{{v_gateway_url}}">
          <label for="merchant_id">{{t.pay_merchant_id}}</label><input id="merchant_id" name="merchant_id" maxlength="64" value="{{v_merchant_id}}">
          <label for="key">{{t.pay_key}}</label><input id="key" name="key" type="password" required maxlength="4096" autocomplete="off">
          <label for="webhook_secret">{{t.pay_webhook_secret}}</label><input id="webhook_secret" name="webhook_secret" type="password" maxlength="4096" autocomplete="off">
          <label for="currency">{{t.receipt_currency}}</label><input id="currency" name="currency" required maxlength="3" value="{{v_currency}}">
          <label for="credit_per_unit">{{t.pay_col_rate}}</label><input id="credit_per_unit" name="credit_per_unit" required maxlength="20" inputmode="decimal" value="{{v_credit_per_unit}}">
          <label for="methods">{{t.topup_method}}</label><input id="methods" name="methods" maxlength="200" value="{{v_methods}}" aria-describedby="methods-hint">
          <p class="hint" id="methods-hint">{{t.pay_methods_hint}}</p>
          <label for="min_amount">{{t.pay_min}}</label><input id="min_amount" name="min_amount" maxlength="20" inputmode="decimal" value="{{v_min_amount}}">
          <label for="max_amount">{{t.pay_max}}</label><input id="max_amount" name="max_amount" maxlength="20" inputmode="decimal" value="{{v_max_amount}}">
          <button type="submit">{{t.pay_add_gateway}}</button>
        </form>
        {{/body}}{{/layout}}
        """

    static let adminOrders = """
        {{<layout}}{{$body}}
        {{>adminNav}}
        <h1>{{t.admin_orders}}</h1>
        <p>{{#reviewOnly}}<a href="/admin/orders">{{t.pay_all_orders}}</a>{{/reviewOnly}}{{^reviewOnly}}<a href="/admin/orders?review=1">{{t.pay_review_orders}}</a>{{/reviewOnly}}</p>
        <table id="orders">
          <thead><tr><th scope="col">{{t.col_order}}</th><th scope="col">{{t.col_time}}</th><th scope="col">{{t.pay_col_account}}</th><th scope="col">{{t.topup_gateway}}</th><th scope="col" class="num">{{t.col_amount}}</th><th scope="col" class="num">{{t.col_credit}}</th><th scope="col">{{t.col_status}}</th><th scope="col">{{t.pay_col_review}}</th></tr></thead>
          <tbody>
          {{#orders}}<tr data-status="{{statusCode}}"><td><a href="/admin/orders/{{id}}">{{id}}</a></td><td>{{time}}</td><td><a href="/admin/users/{{user}}">{{user}}</a></td><td>{{gateway}}</td><td class="num">{{amount}}</td><td class="num">{{credit}}</td><td>{{status}}{{#late}} ({{t.pay_late}}){{/late}}</td><td>{{review}}</td></tr>{{/orders}}
          {{^orders}}<tr><td colspan="8">{{t.orders_none}}</td></tr>{{/orders}}
          </tbody>
        </table>
        {{>pager}}
        {{/body}}{{/layout}}
        """

    static let adminOrder = """
        {{<layout}}{{$body}}
        {{>adminNav}}
        <h1>{{t.col_order}} {{id}}</h1>
        <dl id="order">
          <dt>{{t.col_status}}</dt><dd id="order-status" data-status="{{statusCode}}">{{status}}{{#late}} ({{t.pay_late}}){{/late}}</dd>
          <dt>{{t.pay_col_account}}</dt><dd><a href="/admin/users/{{user}}">{{user}}</a></dd>
          <dt>{{t.topup_gateway}}</dt><dd>{{gateway}} ({{kind}})</dd>
          <dt>{{t.topup_method}}</dt><dd>{{method}}</dd>
          <dt>{{t.col_amount}}</dt><dd>{{amount}}</dd>
          <dt>{{t.col_credit}}</dt><dd>{{credit}}</dd>
          <dt>{{t.receipt_created}}</dt><dd>{{created}}</dd>
          <dt>{{t.receipt_paid}}</dt><dd>{{paid}}</dd>
          <dt>{{t.col_expires}}</dt><dd>{{expires}}</dd>
          <dt>{{t.pay_trade_no}}</dt><dd>{{tradeNo}}</dd>
          <dt>{{t.pay_transaction}}</dt><dd>{{transactionRef}}</dd>
          <dt>{{t.pay_provider_ref}}</dt><dd>{{providerRef}}</dd>
          <dt>{{t.receipt_refunded}}</dt><dd>{{refunded}} ({{refundedCredit}})</dd>
          <dt>{{t.pay_disputed}}</dt><dd>{{disputedCredit}}</dd>
          {{#review}}<dt>{{t.pay_col_review}}</dt><dd id="order-review">{{review}}</dd>{{/review}}
        </dl>
        {{#canAct}}
        {{#wasPaid}}
        <h2>{{t.pay_refund}}</h2>
        <form method="post" action="/admin/orders/{{id}}/refund">
          <input type="hidden" name="_csrf" value="{{csrf}}">
          <input type="hidden" name="refund_token" value="{{refundToken}}">
          <label for="refund_amount">{{t.col_amount}}</label><input id="refund_amount" name="amount" required maxlength="20" inputmode="decimal" value="{{refundable}}">
          <label for="refund_reason">{{t.pay_reason}}</label><input id="refund_reason" name="reason" required maxlength="200">
          <p><label><input type="checkbox" name="outside"> {{t.pay_refund_outside}}</label></p>
          <button type="submit">{{t.pay_refund}}</button>
        </form>
        {{/wasPaid}}
        {{#canMarkPaid}}
        <h2>{{t.pay_mark_paid}}</h2>
        <form method="post" action="/admin/orders/{{id}}/mark-paid">
          <input type="hidden" name="_csrf" value="{{csrf}}">
          <label for="paid_reason">{{t.pay_reason}}</label><input id="paid_reason" name="reason" required maxlength="200">
          <button type="submit">{{t.pay_mark_paid}}</button>
        </form>
        {{/canMarkPaid}}
        {{#review}}
        <form method="post" action="/admin/orders/{{id}}/review">
          <input type="hidden" name="_csrf" value="{{csrf}}">
          <label for="review_reason">{{t.pay_reason}}</label><input id="review_reason" name="reason" required maxlength="200">
          <button type="submit" class="secondary">{{t.pay_clear_review}}</button>
        </form>
        {{/review}}
        {{/canAct}}
        <h2>{{t.pay_events}}</h2>
        <table id="events">
          <thead><tr><th scope="col">{{t.col_time}}</th><th scope="col">{{t.pay_col_source}}</th><th scope="col">{{t.col_address}}</th><th scope="col">{{t.pay_col_outcome}}</th><th scope="col">{{t.pay_col_detail}}</th></tr></thead>
          <tbody>
          {{#events}}<tr><td>{{time}}</td><td>{{source}}</td><td>{{address}}</td><td>{{outcome}}</td><td>{{detail}}</td></tr>{{/events}}
          </tbody>
        </table>
        {{/body}}{{/layout}}
        """

    static let adminCodes = """
        {{<layout}}{{$body}}
        {{>adminNav}}
        <h1>{{t.admin_codes}}</h1>
        {{#hasCreated}}
        <section id="new-codes">
        <h2>{{t.codes_created}}</h2>
        <p class="hint">{{t.codes_once}}</p>
        <pre id="codes-text">{{#created}}{{.}}
        {{/created}}</pre>
        </section>
        {{/hasCreated}}
        <h2>{{t.codes_make}}</h2>
        <form method="post" action="/admin/codes">
          <input type="hidden" name="_csrf" value="{{csrf}}">
          <label for="code_amount">{{t.col_credit}}</label><input id="code_amount" name="amount" required maxlength="20" inputmode="decimal">
          <label for="code_count">{{t.codes_count}}</label><input id="code_count" name="count" type="number" min="1" max="1000" value="10" required>
          <label for="code_days">{{t.codes_expires_days}}</label><input id="code_days" name="expires_in_days" type="number" min="1" max="3650">
          <button type="submit" name="format" value="page">{{t.codes_make_show}}</button>
          <button type="submit" name="format" value="csv" class="secondary">{{t.codes_make_csv}}</button>
        </form>
        <h2>{{t.codes_recent}}</h2>
        <table id="codes">
          <thead><tr><th scope="col">{{t.codes_batch}}</th><th scope="col">{{t.codes_hint}}</th><th scope="col" class="num">{{t.col_credit}}</th><th scope="col">{{t.col_status}}</th><th scope="col">{{t.codes_col_made}}</th><th scope="col">{{t.col_expires}}</th><th scope="col">{{t.codes_redeemed_by}}</th></tr></thead>
          <tbody>
          {{#codes}}<tr><td>{{batch}}</td><td>{{hint}}</td><td class="num">{{credit}}</td><td>{{status}}</td><td>{{created}}</td><td>{{expires}}</td><td>{{redeemedBy}}</td></tr>{{/codes}}
          </tbody>
        </table>
        <h2>{{t.codes_disable_batch}}</h2>
        <form method="post" action="/admin/codes/disable">
          <input type="hidden" name="_csrf" value="{{csrf}}">
          <label for="disable_batch">{{t.codes_batch}}</label><input id="disable_batch" name="batch" required maxlength="40">
          <label for="disable_reason">{{t.pay_reason}}</label><input id="disable_reason" name="reason" required maxlength="200">
          <button type="submit" class="secondary">{{t.codes_disable_batch}}</button>
        </form>
        {{/body}}{{/layout}}
        """
}
