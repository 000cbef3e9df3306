/// The Mustache templates of every page, compiled into the binary so that a copied `wharf` executable needs no
/// resource files. Pages extend `layout` with `{{<layout}}{{$body}}…{{/body}}{{/layout}}`; every user-facing word
/// is a `{{t.key}}` lookup in the visitor's language table.
enum Templates {
    /// Every template by name.
    static let all: [String: String] = [
        "layout": layout, "policyAccept": policyAccept, "consoleNav": consoleNav, "adminNav": adminNav,
        "message": message,
        "pager": pager, "newPassword": newPassword,
        "home": home, "pricing": pricing, "privacy": privacy, "terms": terms, "cookies": cookies, "contact": contact,
        "register": register, "login": login, "forgot": forgot, "reset": reset, "setup": setup,
        "loginTwoFactor": loginTwoFactor, "twoFactorSetup": twoFactorSetup,
        "twoFactorBackupCodes": twoFactorBackupCodes, "telegramLink": telegramLink,
        "dashboard": dashboard, "keys": keys, "usage": usage, "billing": billing, "settings": settings,
        "supportTickets": supportTickets, "supportThread": supportThread,
        "receipt": receipt, "orders": orders, "ordersTable": ordersTable, "payRedirect": payRedirect,
        "adminPayments": adminPayments,
        "adminOrders": adminOrders,
        "adminOrder": adminOrder, "adminCodes": adminCodes,
        "adminUsers": adminUsers, "adminUser": adminUser, "adminChannels": adminChannels, "adminPrices": adminPrices,
        "adminSupport": adminSupport, "adminAudit": adminAudit, "adminChannel": adminChannel,
        "adminSettings": adminSettings,
    ]
}
