// Identity assertions: compact key-sorted JSON, detached ECDSA P-256/SHA-256 with central's
// receipt key.
#include <network/identity_assertion.hpp>

#include <chrono>
#include <optional>
#include <string>

namespace shensu::network
{

namespace
{
    constexpr const char* TYPE = "shensu-identity-assertion-v1";

    std::span<const unsigned char> bytesOf(const std::string& s)
    {
        return { reinterpret_cast<const unsigned char*>(s.data()), s.size() };
    }

    // "2026-11-23T10:51:00Z" (exactly: digits where digits go) → time point; nullopt otherwise.
    std::optional<std::chrono::system_clock::time_point> parseUtc(const std::string& text)
    {
        static constexpr std::string_view SHAPE = "dddd-dd-ddTdd:dd:ddZ";
        if (text.size() != SHAPE.size()) return std::nullopt;
        for (std::size_t i = 0; i < SHAPE.size(); ++i) {
            const bool digit = text[i] >= '0' && text[i] <= '9';
            if (SHAPE[i] == 'd' ? !digit : text[i] != SHAPE[i]) return std::nullopt;
        }
        const auto number = [&](std::size_t at, std::size_t digits) {
            int value = 0;
            for (std::size_t i = at; i < at + digits; ++i)
                value = value * 10 + (text[i] - '0');
            return value;
        };
        const std::chrono::year_month_day day { std::chrono::year(number(0, 4)),
            std::chrono::month(static_cast<unsigned>(number(5, 2))),
            std::chrono::day(static_cast<unsigned>(number(8, 2))) };
        const int hour = number(11, 2), minute = number(14, 2), second = number(17, 2);
        if (!day.ok() || hour > 23 || minute > 59 || second > 59) return std::nullopt;
        return std::chrono::sys_days(day) + std::chrono::hours(hour) + std::chrono::minutes(minute)
            + std::chrono::seconds(second);
    }
} // namespace

std::string assertionBytes(const IdentityAssertion& a)
{
    return nlohmann::json {
        { "type", TYPE }, { "assertionId", a.assertionId }, { "method", a.method },
        { "cardNumber", a.cardNumber }, { "name", a.name }, { "agency", a.agency },
        { "kioskId", a.kioskId }, { "issuedAt", a.issuedAt }, { "expiresAt", a.expiresAt }
    }.dump();
}

AssertionSigner::AssertionSigner(
    const std::filesystem::path& cert, const std::filesystem::path& key)
    : key_(openssl::readPrivateKey(key))
{
    const auto certificate = openssl::readCertificate(cert);
    openssl::check(X509_check_private_key(certificate.get(), key_.get()) == 1,
        "the assertion key does not belong to its certificate");
}

nlohmann::json AssertionSigner::sign(const IdentityAssertion& assertion) const
{
    const std::string text = assertionBytes(assertion);
    const Bytes signature = openssl::signSha256(key_.get(), bytesOf(text));
    return { { "assertion", text }, { "signature", openssl::base64(signature) } };
}

AssertionVerifier::AssertionVerifier(const std::filesystem::path& pinnedCert)
{
    const auto certificate = openssl::readCertificate(pinnedCert);
    key_.reset(openssl::check(X509_get_pubkey(certificate.get()), "receipt certificate key"));
}

IdentityAssertion AssertionVerifier::verify(const nlohmann::json& signedAssertion,
    const std::string& kioskId, std::chrono::system_clock::time_point now) const
{
    const auto field = [](const nlohmann::json& json, const char* key) {
        if (!json.is_object() || !json.contains(key) || !json[key].is_string())
            throw AssertionError(std::string("identity assertion: ") + key + " missing");
        return json[key].get<std::string>();
    };
    const std::string text = field(signedAssertion, "assertion");
    const auto signature = openssl::unbase64(field(signedAssertion, "signature"));
    if (!signature) throw AssertionError("identity assertion: signature is not base64");

    openssl::clearErrors();
    openssl::MdCtxPtr ctx(openssl::check(EVP_MD_CTX_new(), "EVP_MD_CTX_new"));
    openssl::check(EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key_.get()) == 1,
        "EVP_DigestVerifyInit");
    const auto data = bytesOf(text);
    const bool valid = EVP_DigestVerify(ctx.get(), signature->data(), signature->size(),
                           data.data(), data.size())
        == 1;
    openssl::clearErrors();
    if (!valid) throw AssertionError("identity assertion: signature does not verify");

    const auto json = nlohmann::json::parse(text, nullptr, false);
    if (field(json, "type") != TYPE) throw AssertionError("identity assertion: not one");
    IdentityAssertion a { field(json, "assertionId"), field(json, "method"),
        field(json, "cardNumber"), field(json, "name"), field(json, "agency"),
        field(json, "kioskId"), field(json, "issuedAt"), field(json, "expiresAt") };
    if (a.kioskId != kioskId) throw AssertionError("identity assertion: issued to another kiosk");
    const auto issued = parseUtc(a.issuedAt);
    const auto expires = parseUtc(a.expiresAt);
    if (!issued || !expires) throw AssertionError("identity assertion: malformed time");
    if (*issued >= *expires)
        throw AssertionError("identity assertion: expires before it is issued");
    if (now < *issued - CLOCK_SKEW) throw AssertionError("identity assertion: not yet valid");
    if (now >= *expires) throw AssertionError("identity assertion: expired");
    return a;
}

} // namespace shensu::network
