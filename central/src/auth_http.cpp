// /v1/auth/*: JSON in and out, the kiosk id from the verified TLS client certificate. Logs name the
// kiosk and the outcome only: never a name, ID, card number, certificate or password.
#include "auth_http.hpp"

#include <network/openssl.hpp>
#include <network/protocol.hpp>

#include <iostream>

#include <httplib.h>
#include <openssl/crypto.h>
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

    // Wipes a string when it goes out of scope (declare it after what owns the string).
    struct Wipe {
        std::string* text;
        ~Wipe()
        {
            if (text) OPENSSL_cleanse(text->data(), text->size());
        }
    };

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
            // An empty certificate or signature is well-formed JSON from a card that gave
            // nothing: refused below as certificate_invalid / bad_signature, not a 400.
            const auto decode = [](const std::string* text, std::size_t max) {
                if (text && text->empty()) return std::optional<network::Bytes>(network::Bytes {});
                return text ? network::openssl::unbase64(*text, max) : std::nullopt;
            };
            const auto der = decode(certificate, 64 * 1024);
            const auto sig = decode(signature, 64 * 1024);
            if (!challengeId || !der || !sig) {
                return sendJson(res, 400,
                    { { "error",
                        "challengeId, certificate (base64 DER) and signature (base64) "
                        "required" } });
            }
            const auto result = auth.card(kioskId, *challengeId, *der, *sig);
            if (!result.unavailable.empty()) {
                // Central's own trouble (its CRL, the MOICA CA): the kiosk shows "try later", the
                // technician reads this line; the person's card is not blamed.
                log(kioskId, "card login", "unavailable: " + result.unavailable);
                return sendJson(res, 503, { { "error", "login service unavailable" } });
            }
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
            // The copies of the password this handler owns (the request body, the parsed JSON)
            // are cleansed when it returns. Best effort: the TLS record buffers, httplib's reader
            // and the JSON lexer's scratch string are not ours to wipe.
            const Wipe body { const_cast<std::string*>(&req.body) }; // httplib's, not const
            auto json = objectBody(req, res);
            if (!json) return;
            std::string* password = json->contains("password")
                ? (*json)["password"].get_ptr<std::string*>()
                : nullptr;
            const Wipe parsed { password };
            const auto* cardNumber = stringField(*json, "cardNumber");
            if (!cardNumber || !password || !validCardNumber(*cardNumber)
                || !validNhiPassword(*password)) {
                return sendJson(res, 400,
                    { { "error",
                        "cardNumber (12 digits) and password (6-12 characters) required" } });
            }
            const auto result = auth.nhi(kioskId, *cardNumber, *password);
            switch (result.kind) {
            case NhiResult::Kind::OK: {
                log(kioskId, "health-card login", "ok");
                nlohmann::json ok = { { "result", "ok" }, { "name", result.identity.name },
                    { "agency", result.identity.agency } };
                if (!result.assertion.is_null()) ok["assertion"] = result.assertion;
                return sendJson(res, 200, ok);
            }
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

    // Before any password is typed: what a password try would meet. Counts nothing; answers only
    // what /v1/auth/nhi would answer anyway (a kiosk with its device certificate).
    server.Post(std::string(proto::AUTH_NHI_STATUS_PATH),
        [&auth, kiosk](const httplib::Request& req, httplib::Response& res) {
            const std::string kioskId = kiosk(req, res);
            if (kioskId.empty()) return;
            const auto json = objectBody(req, res);
            if (!json) return;
            const auto* cardNumber = stringField(*json, "cardNumber");
            if (!cardNumber || !validCardNumber(*cardNumber))
                return sendJson(res, 400, { { "error", "cardNumber (12 digits) required" } });
            const auto status = auth.nhiStatus(*cardNumber);
            switch (status.kind) {
            case NhiStatus::Kind::OK:
                log(kioskId, "health-card status", "ok");
                return sendJson(
                    res, 200, { { "status", "ok" }, { "triesLeft", status.triesLeft } });
            case NhiStatus::Kind::LOCKED:
                log(kioskId, "health-card status", "locked");
                return sendJson(res, 200, { { "status", "locked" } });
            case NhiStatus::Kind::NOT_REGISTERED:
                log(kioskId, "health-card status", "not_registered");
                return sendJson(res, 200, { { "status", "not_registered" } });
            }
        });
}

} // namespace shensu::central
