// CentralAuth: JSON POSTs to /v1/auth/* over the forwarder's mutual-TLS settings, and the reading
// of central's answers into ok / refusal / unavailable.
#include "curl.hpp"
#include "transport.hpp"

#include <network/auth_client.hpp>
#include <network/openssl.hpp>
#include <network/protocol.hpp>

#include <algorithm>
#include <array>

#include <openssl/crypto.h>

namespace shensu::network
{

std::string cardLoginMessage(std::string_view challengeId, std::string_view nonce)
{
    std::string message = "shensu-card-login-v1:";
    message.append(challengeId);
    message += ':';
    message.append(nonce);
    return message;
}

bool validCardNumber(std::string_view cardNumber)
{
    return cardNumber.size() == 12 && std::all_of(cardNumber.begin(), cardNumber.end(), [](char c) {
        return c >= '0' && c <= '9';
    });
}

bool validNhiPassword(std::string_view password)
{
    return password.size() >= 6 && password.size() <= 12
        && std::all_of(
            password.begin(), password.end(), [](char c) { return c > ' ' && c < 0x7F; });
}

std::string nhiLoginBody(std::string_view cardNumber, std::string_view password)
{
    std::string body;
    // Every byte escaped would double: reserve for that so the buffer never moves.
    body.reserve(48 + 2 * (cardNumber.size() + password.size()));
    const auto append = [&](std::string_view text) {
        for (const char c : text) {
            if (c == '"' || c == '\\') body += '\\';
            body += c;
        }
    };
    body += "{\"cardNumber\":\"";
    append(cardNumber);
    body += "\",\"password\":\"";
    append(password);
    body += "\"}";
    return body; // NRVO: the caller owns (and cleanses) this very buffer
}

namespace
{
    constexpr std::array<std::pair<CardRefusal, std::string_view>, 8> CARD_CODES { {
        { CardRefusal::CERTIFICATE_INVALID, "certificate_invalid" },
        { CardRefusal::CERTIFICATE_EXPIRED, "certificate_expired" },
        { CardRefusal::CERTIFICATE_REVOKED, "certificate_revoked" },
        { CardRefusal::NOT_IN_PERSONNEL, "not_in_personnel" },
        { CardRefusal::DEPARTED, "departed" },
        { CardRefusal::OWNER_MISMATCH, "owner_mismatch" },
        { CardRefusal::BAD_SIGNATURE, "bad_signature" },
        { CardRefusal::CHALLENGE_INVALID, "challenge_invalid" },
    } };

    size_t appendBody(char* data, size_t size, size_t count, void* user)
    {
        auto* body = static_cast<std::string*>(user);
        if (body->size() + size * count > 64 * 1024) return 0; // no answer of ours is this big
        body->append(data, size * count);
        return size * count;
    }

    std::span<const unsigned char> bytes(std::string_view s)
    {
        return { reinterpret_cast<const unsigned char*>(s.data()), s.size() };
    }

    struct Reply {
        std::optional<Unavailable> unavailable;
        long status = 0;
        nlohmann::json body; // an object when unavailable is unset
    };

    bool isString(const nlohmann::json& json, const char* key)
    {
        return json.contains(key) && json[key].is_string();
    }

    // json[key] if it is a string, "" otherwise.
    std::string stringOr(const nlohmann::json& json, const char* key)
    {
        return isString(json, key) ? json[key].get<std::string>() : std::string();
    }

    // An answer that is none of those this endpoint gives.
    Unavailable notAn(const Reply& reply, const char* what)
    {
        return Unavailable { "HTTP " + std::to_string(reply.status) + ": not a " + what, false };
    }

    // A login's 200 {"result":"ok","name","agency"}: answer becomes OK with that name and agency.
    template<typename Answer> bool readLoginOk(const Reply& reply, Answer& answer)
    {
        const auto& b = reply.body;
        if (reply.status != 200 || stringOr(b, "result") != "ok" || !isString(b, "name")
            || !isString(b, "agency"))
            return false;
        answer.status = AuthStatus::OK;
        answer.name = b["name"].get<std::string>();
        answer.agency = b["agency"].get<std::string>();
        return true;
    }

    constexpr const char* CARD_NUMBER_NOT_12_DIGITS
        = "kiosk: the health-card number is not 12 digits";
} // namespace

std::string_view cardRefusalCode(CardRefusal refusal)
{
    for (const auto& [value, code] : CARD_CODES)
        if (value == refusal) return code;
    return "certificate_invalid";
}

std::optional<CardRefusal> parseCardRefusal(std::string_view code)
{
    for (const auto& [value, text] : CARD_CODES)
        if (text == code) return value;
    return std::nullopt;
}

struct CentralAuth::Impl {
    explicit Impl(const ForwarderConfig& config)
        : baseUrl(config.centralUrl)
    {
        configureCentralTls(easy, config, resolve);
        easy.set(CURLOPT_WRITEFUNCTION, &appendBody);
    }

    // POSTs a JSON body; a 200 or 403 with a JSON object is an answer, anything else UNAVAILABLE.
    Reply post(std::string_view path, std::string& requestBody)
    {
        const std::string url = baseUrl + std::string(path);
        curl::StringList headers;
        headers.append("Content-Type: application/json");
        headers.append("Accept: application/json");
        headers.append("Expect:");
        std::string body;
        easy.set(CURLOPT_URL, url.c_str());
        easy.set(CURLOPT_HTTPHEADER, headers.get());
        easy.set(CURLOPT_POSTFIELDS, static_cast<const void*>(requestBody.data()));
        easy.set(CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(requestBody.size()));
        easy.set(CURLOPT_WRITEDATA, static_cast<void*>(&body));
        const curl::PerformResult done = multi.perform(easy, never);
        easy.set(CURLOPT_HTTPHEADER, static_cast<curl_slist*>(nullptr));
        easy.set(CURLOPT_POSTFIELDS, static_cast<const void*>(nullptr));
        easy.set(CURLOPT_WRITEDATA, static_cast<void*>(nullptr));

        Reply reply;
        if (done.code != CURLE_OK) {
            // Only what says the server is not our central. CURLE_SSL_CERTPROBLEM is the kiosk's
            // own certificate or key, CURLE_SSL_CACERT_BADFILE its pinned CA file: kiosk faults.
            const bool refused = done.code == CURLE_PEER_FAILED_VERIFICATION
                || done.code == CURLE_SSL_PINNEDPUBKEYNOTMATCH
                || done.code == CURLE_SSL_ISSUER_ERROR || done.code == CURLE_SSL_INVALIDCERTSTATUS;
            reply.unavailable
                = Unavailable { "curl " + std::to_string(done.code) + ": " + done.error, refused };
            return reply;
        }
        reply.status = done.httpStatus;
        const std::string status = "HTTP " + std::to_string(done.httpStatus);
        if (done.httpStatus != 200 && done.httpStatus != 403) {
            reply.unavailable = Unavailable { status, false };
            return reply;
        }
        reply.body = nlohmann::json::parse(body, nullptr, false);
        if (reply.body.is_discarded() || !reply.body.is_object())
            reply.unavailable = Unavailable { status + " without a JSON object", false };
        return reply;
    }

    std::string baseUrl;
    curl::MultiHandle multi;
    curl::EasyHandle easy;
    curl::StringList resolve;
    const std::atomic<bool> never { false };
};

CentralAuth::CentralAuth(const ForwarderConfig& config)
    : impl_(std::make_unique<Impl>(config))
{ }

CentralAuth::~CentralAuth() = default;

Challenge CentralAuth::challenge()
{
    std::string request = "{}";
    const Reply reply = impl_->post(protocol::AUTH_CHALLENGE_PATH, request);
    if (reply.unavailable) throw AuthUnavailable(*reply.unavailable);
    const auto& b = reply.body;
    if (reply.status != 200 || !isString(b, "challengeId") || !isString(b, "nonce")
        || !isString(b, "expiresAt"))
        throw AuthUnavailable(notAn(reply, "challenge"));
    return { b["challengeId"].get<std::string>(), b["nonce"].get<std::string>(),
        b["expiresAt"].get<std::string>() };
}

CardLoginAnswer CentralAuth::cardLogin(
    const Challenge& challenge, std::string_view certificateDer, std::string_view signature)
{
    std::string request = nlohmann::json {
        { "challengeId", challenge.challengeId },
        { "certificate", openssl::base64(bytes(certificateDer)) },
        { "signature", openssl::base64(bytes(signature)) }
    }.dump();
    const Reply reply = impl_->post(protocol::AUTH_CARD_PATH, request);
    CardLoginAnswer answer;
    if (reply.unavailable) {
        answer.unavailable = *reply.unavailable;
        return answer;
    }
    if (readLoginOk(reply, answer)) return answer;
    if (reply.status == 403) {
        if (const auto refusal = parseCardRefusal(stringOr(reply.body, "result"))) {
            answer.status = AuthStatus::REFUSED;
            answer.refusal = *refusal;
            return answer;
        }
    }
    answer.unavailable = notAn(reply, "card-login answer");
    return answer;
}

NhiLoginAnswer CentralAuth::nhiLogin(std::string_view cardNumber, std::string_view password)
{
    NhiLoginAnswer answer;
    if (!validNhiPassword(password)) {
        answer.status = AuthStatus::REFUSED;
        answer.refusal = NhiRefusal::MALFORMED_PASSWORD;
        return answer;
    }
    if (!validCardNumber(cardNumber)) {
        answer.unavailable = Unavailable { CARD_NUMBER_NOT_12_DIGITS };
        return answer;
    }
    std::string request = nhiLoginBody(cardNumber, password);
    const Reply reply = impl_->post(protocol::AUTH_NHI_PATH, request);
    OPENSSL_cleanse(request.data(), request.size());
    if (reply.unavailable) {
        answer.unavailable = *reply.unavailable;
        return answer;
    }
    const auto& b = reply.body;
    const std::string result = stringOr(b, "result");
    if (readLoginOk(reply, answer)) {
        if (b.contains("assertion") && b["assertion"].is_object())
            answer.assertion = b["assertion"];
        return answer;
    }
    if (reply.status == 403) {
        answer.status = AuthStatus::REFUSED;
        if (result == "wrong_password" && b.contains("triesLeft")
            && b["triesLeft"].is_number_integer() && b["triesLeft"].get<int>() >= 1) {
            answer.refusal = NhiRefusal::WRONG_PASSWORD;
            answer.triesLeft = b["triesLeft"].get<int>();
            return answer;
        }
        if (result == "locked") {
            answer.refusal = NhiRefusal::LOCKED;
            return answer;
        }
        if (result == "not_registered") {
            answer.refusal = NhiRefusal::NOT_REGISTERED;
            return answer;
        }
    }
    answer.status = AuthStatus::UNAVAILABLE;
    answer.unavailable = notAn(reply, "health-card answer");
    return answer;
}

NhiStatusAnswer CentralAuth::nhiStatus(std::string_view cardNumber)
{
    NhiStatusAnswer answer;
    if (!validCardNumber(cardNumber)) {
        answer.unavailable = Unavailable { CARD_NUMBER_NOT_12_DIGITS };
        return answer;
    }
    std::string request = nlohmann::json { { "cardNumber", std::string(cardNumber) } }.dump();
    const Reply reply = impl_->post(protocol::AUTH_NHI_STATUS_PATH, request);
    if (reply.unavailable) {
        answer.unavailable = *reply.unavailable;
        return answer;
    }
    const auto& b = reply.body;
    const std::string status = stringOr(b, "status");
    if (reply.status == 200) {
        if (status == "ok" && b.contains("triesLeft") && b["triesLeft"].is_number_integer()
            && b["triesLeft"].get<int>() >= 1) {
            answer.status = AuthStatus::OK;
            answer.state = NhiCardState::OK;
            answer.triesLeft = b["triesLeft"].get<int>();
            return answer;
        }
        if (status == "locked" || status == "not_registered") {
            answer.status = AuthStatus::OK;
            answer.state = status == "locked" ? NhiCardState::LOCKED : NhiCardState::NOT_REGISTERED;
            return answer;
        }
    }
    answer.unavailable = notAn(reply, "health-card status");
    return answer;
}

} // namespace shensu::network
