/// The admin pages: users, channels with health, prices, support inbox and the audit log.
extension Templates {
    static let adminUsers = """
        {{<layout}}{{$body}}
        {{>adminNav}}
        <h1>{{t.admin_users}}</h1>
        <form method="get" action="/admin/users" class="filters">
          <label>{{t.admin_search}} <input name="q" maxlength="100" value="{{query}}"></label>
          <button type="submit">{{t.filter_apply}}</button>
        </form>
        <table>
          <thead><tr><th scope="col">{{t.field_email}}</th><th scope="col">{{t.field_username}}</th><th scope="col">{{t.col_role}}</th><th scope="col">{{t.col_status}}</th><th scope="col" class="num">{{t.dash_balance}}</th><th scope="col"></th></tr></thead>
          <tbody>
          {{#users}}<tr><td>{{email}}</td><td>{{username}}</td><td>{{role}}</td><td>{{status}}</td><td class="num">{{balance}}</td><td><a href="/admin/users/{{id}}">{{t.admin_manage}}</a></td></tr>{{/users}}
          {{^users}}<tr><td colspan="6">{{t.admin_no_users}}</td></tr>{{/users}}
          </tbody>
        </table>
        {{/body}}{{/layout}}
        """

    static let adminUser = """
        {{<layout}}{{$body}}
        {{>adminNav}}
        <h1>{{username}}</h1>
        <dl><dt>{{t.field_email}}</dt><dd>{{email}}</dd><dt>{{t.col_role}}</dt><dd>{{role}}</dd><dt>{{t.col_status}}</dt><dd>{{status}}</dd><dt>{{t.dash_balance}}</dt><dd>{{balance}}</dd></dl>
        {{#canAdjust}}
        <h2>{{t.admin_adjust_credit}}</h2>
        <form method="post" action="/admin/users/{{id}}/credit">
          <input type="hidden" name="_csrf" value="{{csrf}}">
          <label for="amount">{{t.col_amount}}</label>
          <input id="amount" name="amount" required maxlength="20" inputmode="decimal" aria-describedby="amount-hint">
          <p class="hint" id="amount-hint">{{t.admin_amount_hint}}</p>
          <label for="reason">{{t.admin_reason}}</label>
          <input id="reason" name="reason" required maxlength="200">
          <button type="submit">{{t.admin_adjust}}</button>
        </form>
        {{/canAdjust}}
        {{#canManage}}
        <h2>{{t.col_role}}</h2>
        <form method="post" action="/admin/users/{{id}}/role">
          <input type="hidden" name="_csrf" value="{{csrf}}">
          <select name="role" aria-label="{{t.col_role}}">{{#roles}}<option value="{{name}}" {{#current}}selected{{/current}}>{{name}}</option>{{/roles}}</select>
          <button type="submit">{{t.save}}</button>
        </form>
        <h2>{{t.col_status}}</h2>
        <form method="post" action="/admin/users/{{id}}/status">
          <input type="hidden" name="_csrf" value="{{csrf}}">
          {{#active}}<input type="hidden" name="status" value="disabled"><button type="submit" class="danger">{{t.admin_disable}}</button>{{/active}}
          {{^active}}<input type="hidden" name="status" value="active"><button type="submit">{{t.admin_enable}}</button>{{/active}}
        </form>
        {{/canManage}}
        {{/body}}{{/layout}}
        """

    static let adminChannels = """
        {{<layout}}{{$body}}
        {{>adminNav}}
        <h1>{{t.admin_channels}}</h1>
        <table id="channels">
          <thead><tr><th scope="col">{{t.col_name}}</th><th scope="col">{{t.col_provider}}</th><th scope="col">{{t.col_models}}</th><th scope="col">{{t.col_region}}</th><th scope="col">{{t.col_status}}</th><th scope="col">{{t.col_health}}</th><th scope="col" class="num">{{t.col_error_rate}}</th><th scope="col" class="num">{{t.col_latency}}</th><th scope="col"></th></tr></thead>
          <tbody>
          {{#channels}}<tr><td><a href="/admin/channels/{{id}}">{{name}}</a></td><td>{{provider}}</td><td>{{models}}</td><td>{{region}}</td><td>{{status}}</td><td>{{health}}</td><td class="num">{{errorRate}}</td><td class="num">{{latency}}</td>
            <td><form method="post" action="/admin/channels/{{id}}/{{toggleAction}}" class="inline"><input type="hidden" name="_csrf" value="{{csrf}}"><button type="submit" class="small secondary">{{toggleLabel}}</button></form>
            <form method="post" action="/admin/channels/{{id}}/test" class="inline"><input type="hidden" name="_csrf" value="{{csrf}}"><button type="submit" class="small">{{t.admin_test}}</button></form></td></tr>{{/channels}}
          {{^channels}}<tr><td colspan="9">{{t.admin_no_channels}}</td></tr>{{/channels}}
          </tbody>
        </table>
        <h2>{{t.admin_add_channel}}</h2>
        <form method="post" action="/admin/channels" class="wide">
          <input type="hidden" name="_csrf" value="{{csrf}}">
          <label for="name">{{t.col_name}}</label><input id="name" name="name" required maxlength="64">
          <label for="provider">{{t.col_provider}}</label>
          <select id="provider" name="provider">{{#providers}}<option value="{{.}}">{{.}}</option>{{/providers}}</select>
          <label for="base_url">{{t.admin_base_url}}</label><input id="base_url" name="base_url" type="url" required maxlength="500">
          <label for="api_key">{{t.admin_api_key}}</label><input id="api_key" name="api_key" type="password" required maxlength="500" autocomplete="off">
          <label for="models">{{t.col_models}}</label><input id="models" name="models" required maxlength="1000" aria-describedby="models-hint">
          <p class="hint" id="models-hint">{{t.admin_models_hint}}</p>
          <label for="priority">{{t.admin_priority}}</label><input id="priority" name="priority" type="number" value="0" min="-1000" max="1000">
          <label for="weight">{{t.admin_weight}}</label><input id="weight" name="weight" type="number" value="1" min="1" max="1000">
          <label for="region">{{t.col_region}}</label><input id="region" name="region" maxlength="40" value="unknown">
          <p><label><input type="checkbox" name="retains"> {{t.admin_retains}}</label> <label><input type="checkbox" name="trains"> {{t.admin_trains}}</label></p>
          <button type="submit">{{t.admin_add}}</button>
        </form>
        {{/body}}{{/layout}}
        """

    static let adminPrices = """
        {{<layout}}{{$body}}
        {{>adminNav}}
        <h1>{{t.admin_prices}}</h1>
        <table>
          <thead><tr><th scope="col">{{t.col_model}}</th><th scope="col" class="num">{{t.col_input}}</th><th scope="col" class="num">{{t.col_cached_input}}</th><th scope="col" class="num">{{t.col_cache_write}}</th><th scope="col" class="num">{{t.col_output}}</th></tr></thead>
          <tbody>{{#prices}}<tr><td><code>{{model}}</code></td><td class="num">{{input}}</td><td class="num">{{cached}}</td><td class="num">{{cacheWrite}}</td><td class="num">{{output}}</td></tr>{{/prices}}</tbody>
        </table>
        <h2>{{t.admin_set_price}}</h2>
        <form method="post" action="/admin/prices" class="wide">
          <input type="hidden" name="_csrf" value="{{csrf}}">
          <label for="model">{{t.col_model}}</label><input id="model" name="model" required maxlength="100">
          <label for="input">{{t.col_input}}</label><input id="input" name="input" required maxlength="20" inputmode="decimal">
          <label for="output">{{t.col_output}}</label><input id="output" name="output" required maxlength="20" inputmode="decimal">
          <label for="cached">{{t.col_cached_input}}</label><input id="cached" name="cached" maxlength="20" inputmode="decimal">
          <label for="cache_write">{{t.col_cache_write}}</label><input id="cache_write" name="cache_write" maxlength="20" inputmode="decimal">
          <button type="submit">{{t.save}}</button>
        </form>
        {{/body}}{{/layout}}
        """

    static let adminSupport = """
        {{<layout}}{{$body}}
        {{>adminNav}}
        <h1>{{t.admin_support}}</h1>
        {{#messages}}
        <article class="card">
          <h2>{{subject}}</h2>
          <p class="muted">{{email}} · {{time}}</p>
          <p class="pre">{{body}}</p>
          {{#replies}}<div class="reply"><p class="muted">{{#fromUser}}{{t.admin_user_wrote}}{{/fromUser}}{{^fromUser}}{{t.admin_replied}}{{/fromUser}} {{time}}</p><p class="pre">{{body}}</p></div>{{/replies}}
          <form method="post" action="/admin/support/{{id}}/reply">
            <input type="hidden" name="_csrf" value="{{csrf}}">
            <label for="reply-{{id}}">{{t.admin_reply}}</label>
            <textarea id="reply-{{id}}" name="reply" required maxlength="5000" rows="3"></textarea>
            <button type="submit" class="small" id="reply-submit-{{id}}">{{t.admin_send_reply}}</button>
          </form>
          <form method="post" action="/admin/support/{{id}}/close" class="inline"><input type="hidden" name="_csrf" value="{{csrf}}"><button type="submit" class="small secondary">{{t.admin_close}}</button></form>
        </article>
        {{/messages}}
        {{^messages}}<p>{{t.admin_no_messages}}</p>{{/messages}}
        {{/body}}{{/layout}}
        """

    static let adminAudit = """
        {{<layout}}{{$body}}
        {{>adminNav}}
        <h1>{{t.admin_audit}}</h1>
        <p>{{chainStatus}}</p>
        {{#fullStatus}}<p class="muted">{{fullStatus}}</p>{{/fullStatus}}
        <table>
          <thead><tr><th scope="col">#</th><th scope="col">{{t.col_time}}</th><th scope="col">{{t.admin_actor}}</th><th scope="col">{{t.admin_action}}</th><th scope="col">{{t.admin_target}}</th><th scope="col">{{t.admin_detail}}</th></tr></thead>
          <tbody>{{#entries}}<tr><td>{{seq}}</td><td>{{time}}</td><td><code>{{actor}}</code></td><td>{{action}}</td><td><code>{{target}}</code></td><td>{{detail}}</td></tr>{{/entries}}</tbody>
        </table>
        {{/body}}{{/layout}}
        """
}

/// Channel editing and the settings page.
extension Templates {
    static let adminChannel = """
        {{<layout}}{{$body}}
        {{>adminNav}}
        <h1>{{name}}</h1>
        <p class="muted">{{provider}} · {{status}}</p>
        <form method="post" action="/admin/channels/{{id}}" class="wide">
          <input type="hidden" name="_csrf" value="{{csrf}}">
          <label for="base_url">{{t.admin_base_url}}</label><input id="base_url" name="base_url" type="url" required maxlength="500" value="{{baseURL}}">
          <label for="api_key">{{t.admin_api_key}}</label><input id="api_key" name="api_key" type="password" maxlength="500" autocomplete="off" aria-describedby="key-hint">
          <p class="hint" id="key-hint">{{t.admin_key_keep}}</p>
          <label for="models">{{t.col_models}}</label><input id="models" name="models" required maxlength="1000" value="{{models}}">
          <label for="mapping">{{t.admin_mapping}}</label><input id="mapping" name="mapping" maxlength="2000" value="{{mapping}}" aria-describedby="mapping-hint">
          <p class="hint" id="mapping-hint">{{t.admin_mapping_hint}}</p>
          <label for="capabilities">{{t.admin_capabilities}}</label><input id="capabilities" name="capabilities" maxlength="200" value="{{capabilities}}">
          <label for="priority">{{t.admin_priority}}</label><input id="priority" name="priority" type="number" value="{{priority}}" min="-1000" max="1000">
          <label for="weight">{{t.admin_weight}}</label><input id="weight" name="weight" type="number" value="{{weight}}" min="1" max="1000">
          <label for="region">{{t.col_region}}</label><input id="region" name="region" maxlength="40" value="{{region}}">
          <p><label><input type="checkbox" name="retains" {{#retains}}checked{{/retains}}> {{t.admin_retains}}</label> <label><input type="checkbox" name="trains" {{#trains}}checked{{/trains}}> {{t.admin_trains}}</label></p>
          <button type="submit">{{t.save}}</button>
        </form>
        {{/body}}{{/layout}}
        """

    static let adminSettings = """
        {{<layout}}{{$body}}
        {{>adminNav}}
        <h1>{{t.admin_settings}}</h1>
        <form method="post" action="/admin/settings" class="wide">
          <input type="hidden" name="_csrf" value="{{csrf}}">
          <p><label><input type="checkbox" name="registration_open" {{#registrationOpen}}checked{{/registrationOpen}}> {{t.admin_registration_open}}</label></p>
          <label for="site_notice">{{t.admin_site_notice}}</label>
          <textarea id="site_notice" name="site_notice" maxlength="500" rows="3" aria-describedby="notice-hint">{{siteNotice}}</textarea>
          <p class="hint" id="notice-hint">{{t.admin_site_notice_hint}}</p>
          <button type="submit">{{t.save}}</button>
        </form>
        <h2>{{t.admin_effective_config}}</h2>
        <p class="hint">{{t.admin_effective_hint}}</p>
        <dl>{{#effective}}<dt>{{name}}</dt><dd><code>{{value}}</code></dd>{{/effective}}</dl>
        {{/body}}{{/layout}}
        """
}
