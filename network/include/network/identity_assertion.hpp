// Central's signed identity assertion (ARCHITECTURE §5.2): after a health-card login central says,
// under its receipt key, who logged in at which kiosk and until when. The kiosk carries it in a
// health-card filer's filing instead of a card signature; central (or anyone holding the pinned
// central-receipt.pem) can check it later.
#pragma once

#include <network/openssl.hpp>

#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <string_view>

namespace shensu::network
{

// Wire form: {"assertion": "<assertion text>", "signature": "<base64 DER ECDSA P-256/SHA-256>"}
// where the text is the compact, key-sorted JSON of the fields below plus
// "type":"shensu-identity-assertion-v1" (so no assertion can pass for a receipt or the other way
// round: each parser demands its own fields).
struct IdentityAssertion {
    std::string assertionId; // UUIDv4
    std::string method; // "nhi"
    std::string cardNumber; // the health card's number
    std::string name; // from central's registry
    std::string agency;
    std::string kioskId; // the TLS client's CN at login
    std::string issuedAt; // ISO 8601 UTC
    std::string expiresAt; // ISO 8601 UTC
};

class AssertionError : public std::runtime_error
{
public:
    using std::runtime_error::runtime_error;
};

std::string assertionBytes(const IdentityAssertion& assertion);

// Central's side: signs with the receipt key. Throws OpenSslError on an unusable key.
class AssertionSigner
{
public:
    AssertionSigner(const std::filesystem::path& cert, const std::filesystem::path& key);
    nlohmann::json sign(const IdentityAssertion& assertion) const;

private:
    openssl::PkeyPtr key_;
};

// Anyone holding the pinned receipt certificate: checks the signature, the kiosk and the time.
class AssertionVerifier
{
public:
    explicit AssertionVerifier(const std::filesystem::path& pinnedCert);
    // Throws AssertionError unless signedAssertion is the wire form above, signed by the pinned
    // key, issued to kioskId, issuedAt < expiresAt, and issuedAt - CLOCK_SKEW ≤ now < expiresAt.
    static constexpr std::chrono::minutes CLOCK_SKEW { 5 }; // kiosk and central clocks may differ
    IdentityAssertion verify(const nlohmann::json& signedAssertion, const std::string& kioskId,
        std::chrono::system_clock::time_point now = std::chrono::system_clock::now()) const;

private:
    openssl::PkeyPtr key_;
};

} // namespace shensu::network
