// Identity assertions: compact key-sorted JSON, detached ECDSA P-256/SHA-256 with central's
// receipt key.
#include <network/identity_assertion.hpp>

#include <ctime>

namespace shensu::network
{

namespace
{
    constexpr const char* TYPE = "shensu-identity-assertion-v1";

    std::span<const unsigned char> bytesOf(const std::string& s)
    {
        return { reinterpret_cast<const unsigned char*>(s.data()), s.size() };
    }

    // "2026-11-23T10:51:00Z" → time point; nullopt if it is not that shape.
    std::optional<std::chrono::system_clock::time_point> parseUtc(const std::string& text)
    {
        std::tm tm {};
        if (text.size() != 20 || text[19] != 'Z') return std::nullopt;
        if (std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2dZ", &tm.tm_year, &tm.tm_mon,
                &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec)
            != 6)
            return std::nullopt;
        tm.tm_year -= 1900;
        tm.tm_mon -= 1;
        const std::time_t t = timegm(&tm);
        if (t == static_cast<std::time_t>(-1)) return std::nullopt;
        return std::chrono::system_clock::from_time_t(t);
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
    openssl::MdCtxPtr ctx(openssl::check(EVP_MD_CTX_new(), "EVP_MD_CTX_new"));
    openssl::check(EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key_.get()) == 1,
        "EVP_DigestSignInit");
    const auto data = bytesOf(text);
    std::size_t len = 0;
    openssl::check(
        EVP_DigestSign(ctx.get(), nullptr, &len, data.data(), data.size()) == 1, "EVP_DigestSign");
    Bytes signature(len);
    openssl::check(EVP_DigestSign(ctx.get(), signature.data(), &len, data.data(), data.size()) == 1,
        "EVP_DigestSign");
    signature.resize(len);
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
    const auto expires = parseUtc(a.expiresAt);
    if (!expires) throw AssertionError("identity assertion: malformed expiresAt");
    if (now >= *expires) throw AssertionError("identity assertion: expired");
    return a;
}

} // namespace shensu::network
