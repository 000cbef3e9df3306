import HTTPTypes
import Hummingbird

/// A page request that cannot go on: shown as an error page in the visitor's language (the message is a
/// translation key), never as a stack trace or a JSON body.
struct WebFailure: Error {
    var status: HTTPResponse.Status
    var messageKey: String

    static let csrf = WebFailure(status: .forbidden, messageKey: "err_csrf")
    static let notFound = WebFailure(status: .notFound, messageKey: "err_not_found")
    static let forbidden = WebFailure(status: .forbidden, messageKey: "err_forbidden")
    static let adminAddress = WebFailure(status: .forbidden, messageKey: "err_admin_address")
    static let badForm = WebFailure(status: .badRequest, messageKey: "err_form_invalid")
    static let formTooLarge = WebFailure(status: .contentTooLarge, messageKey: "err_form_too_large")
}

/// A redirect after a form or to the sign-in page (303 See Other, so the browser follows with GET).
struct WebRedirect: Error {
    var location: String

    /// The response.
    var response: Response {
        var headers = HTTPFields()
        headers[.location] = location
        return Response(status: .seeOther, headers: headers)
    }
}
