// /v1/auth/*: JSON in and out, the kiosk id from the verified TLS client certificate. Logs name the
// kiosk and the outcome only: never a name, ID, card number, certificate or password.
#include "auth_http.hpp"

#include <network/openssl.hpp>
#include <network/protocol.hpp>

#include <iostream>

#include <httplib.h>
#include <openssl/ssl.h>

namespace shensu::central
{

namespace
{
    namespace proto = network::protocol;

    void sendJson(httplib::Response& res, int status, const nlohmann::json& body)
    {
        res.status = status;
        res.set_content(body.dump(), "application/json");
    }

    std::string kioskOf(const httplib::Request& req)
    {
        if (!req.ssl || SSL_get_verify_result(req.ssl) != X509_V_OK) return {};
        const X509* peer = SSL_get0_peer_certificate(req.ssl);
        return peer ? network::openssl::commonName(peer) : std::string();
    }

    // The body as a JSON object, or nullopt (then a 400 has been set).
    std::optional<nlohmann::json> objectBody(const httplib::Request& req, httplib::Response& res)
    {
        auto json = nlohmann::json::parse(req.body, nullptr, false);
        if (json.is_discarded() || !json.is_object()) {
            sendJson(res, 400, { { "error", "body must be a JSON object" } });
            return std::nullopt;
        }
        return json;
    }

    const std::string* stringField(const nlohmann::json& json, const char* key)
    {
        return json.contains(key) ? json[key].get_ptr<const std::string*>() : nullptr;
    }

    void log(const std::string& kioskId, const char* call, std::string_view outcome)
    {
        std::cerr << "shensu-central: " << call << " from " << kioskId << ": " << outcome << '\n';
    }
} // namespace

void addAuthRoutes(httplib::Server& server, AuthService& auth)
{
    // TLS already demands a client certificate; a request without a verified one gets no service.
    auto kiosk = [](const httplib::Request& req, httplib::Response& res) {
        std::string id = kioskOf(req);
        if (id.empty()) sendJson(res, 403, { { "error", "client certificate required" } });
        return id;
    };

    server.Post(std::string(proto::AUTH_CHALLENGE_PATH),
        [&auth, kiosk](const httplib::Request& req, httplib::Response& res) {
            const std::string kioskId = kiosk(req, res);
            if (kioskId.empty() || !objectBody(req, res)) return;
            const auto issued = auth.challenge(kioskId);
            sendJson(res, 200,
                { { "challengeId", issued.challengeId }, { "nonce", issued.nonce },
                    { "expiresAt", issued.expiresAt } });
        });

    server.Post(std::string(proto::AUTH_CARD_PATH),
        [&auth, kiosk](const httplib::Request& req, httplib::Response& res) {
            const std::string kioskId = kiosk(req, res);
            if (kioskId.empty()) return;
            const auto json = objectBody(req, res);
            if (!json) return;
            const auto* challengeId = stringField(*json, "challengeId");
            const auto* certificate = stringField(*json, "certificate");
            const auto* signature = stringField(*json, "signature");
            const auto der
                = certificate ? network::openssl::unbase64(*certificate, 64 * 1024) : std::nullopt;
            const auto sig = signature ? network::openssl::unbase64(*signature) : std::nullopt;
            if (!challengeId || !der || !sig) {
                return sendJson(res, 400,
                    { { "error",
                        "challengeId, certificate (base64 DER) and signature (base64) "
                        "required" } });
            }
            const auto result = auth.card(kioskId, *challengeId, *der, *sig);
            if (result.refusal) {
                const auto code = refusalCode(*result.refusal);
                log(kioskId, "card login", code);
                return sendJson(res, 403, { { "result", code } });
            }
            log(kioskId, "card login", "ok");
            sendJson(res, 200,
                { { "result", "ok" }, { "name", result.identity.name },
                    { "agency", result.identity.agency } });
        });

    server.Post(std::string(proto::AUTH_NHI_PATH),
        [&auth, kiosk](const httplib::Request& req, httplib::Response& res) {
            const std::string kioskId = kiosk(req, res);
            if (kioskId.empty()) return;
            const auto json = objectBody(req, res);
            if (!json) return;
            const auto* cardNumber = stringField(*json, "cardNumber");
            const auto* password = stringField(*json, "password");
            if (!cardNumber || !password || !validCardNumber(*cardNumber)
                || !validNhiPassword(*password)) {
                return sendJson(res, 400,
                    { { "error",
                        "cardNumber (12 digits) and password (6-12 characters) required" } });
            }
            const auto result = auth.nhi(*cardNumber, *password);
            switch (result.kind) {
            case NhiResult::Kind::OK:
                log(kioskId, "health-card login", "ok");
                return sendJson(res, 200,
                    { { "result", "ok" }, { "name", result.identity.name },
                        { "agency", result.identity.agency } });
            case NhiResult::Kind::WRONG_PASSWORD:
                log(kioskId, "health-card login", "wrong_password");
                return sendJson(res, 403,
                    { { "result", "wrong_password" }, { "triesLeft", result.triesLeft } });
            case NhiResult::Kind::LOCKED:
                log(kioskId, "health-card login", "locked");
                return sendJson(res, 403, { { "result", "locked" } });
            case NhiResult::Kind::NOT_REGISTERED:
                log(kioskId, "health-card login", "not_registered");
                return sendJson(res, 403, { { "result", "not_registered" } });
            }
        });
}

} // namespace shensu::central
