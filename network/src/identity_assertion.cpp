// Identity assertions: compact key-sorted JSON, detached ECDSA P-256/SHA-256 with central's
// receipt key.
#include "signed_json.hpp"

#include <network/case_lease.hpp>
#include <network/identity_assertion.hpp>

#include <chrono>
#include <optional>
#include <string>

namespace shensu::network
{

namespace
{
    constexpr const char* TYPE = "shensu-identity-assertion-v1";
    constexpr const char* WHAT = "identity assertion";

    using openssl::bytesOf;
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
        return requiredString<AssertionError>(json, key, WHAT);
    };
    const auto json
        = verifySignedJson<AssertionError>(signedAssertion, "assertion", TYPE, key_.get(), WHAT);
    IdentityAssertion a { field(json, "assertionId"), field(json, "method"),
        field(json, "cardNumber"), field(json, "name"), field(json, "agency"),
        field(json, "kioskId"), field(json, "issuedAt"), field(json, "expiresAt") };
    if (a.kioskId != kioskId) throw AssertionError("identity assertion: issued to another kiosk");
    const auto issued = parseUtcTime(a.issuedAt);
    const auto expires = parseUtcTime(a.expiresAt);
    if (!issued || !expires) throw AssertionError("identity assertion: malformed time");
    if (*issued >= *expires)
        throw AssertionError("identity assertion: expires before it is issued");
    if (now < *issued - CLOCK_SKEW) throw AssertionError("identity assertion: not yet valid");
    if (now >= *expires) throw AssertionError("identity assertion: expired");
    return a;
}

} // namespace shensu::network
