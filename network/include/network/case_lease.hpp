// Case-number leases (ARCHITECTURE §5.7, POST /v1/case-numbers/lease): central reserves a block of
// case numbers for one kiosk and signs it with its receipt key, so a kiosk that is offline can
// show a filer a final case number. The kiosk keeps the signed block in its outbox database and
// takes one number per filing (network/README.md, "Case-number leases").
#pragma once

#include <network/openssl.hpp>

#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace shensu::network
{

// Wire form (the answer of POST /v1/case-numbers/lease, and what the kiosk stores):
//   {"lease": "<lease text>", "signature": "<base64 DER ECDSA P-256/SHA-256>"}
// where the text is the compact, key-sorted JSON of the fields below plus
// "type":"shensu-case-lease-v1" (so neither a receipt nor an identity assertion can pass for a
// lease, nor the other way round).
struct CaseLease {
    std::string leaseId; // UUIDv4
    std::string kioskId; // the CN of the kiosk's TLS client certificate at lease time
    std::vector<std::string> numbers; // case numbers reserved for this kiosk, in order of use
    std::string issuedAt; // ISO 8601 UTC
    std::string expiresAt; // ISO 8601 UTC: a number is taken for a filing before this, or never
};

class LeaseError : public std::runtime_error
{
public:
    using std::runtime_error::runtime_error;
};

// Kiosk and central clocks may differ this much (a number "taken" before its lease was issued by
// more than this was not taken honestly).
inline constexpr std::chrono::minutes LEASE_CLOCK_SKEW { 5 };

std::string leaseBytes(const CaseLease& lease);
// The signed wire form as text (what central sends and stores, what the kiosk stores).
std::string signedLeaseBody(const std::string& leaseText, const Bytes& signature);

// Central's side: signs with the receipt key. Throws OpenSslError on an unusable key.
class LeaseSigner
{
public:
    LeaseSigner(const std::filesystem::path& cert, const std::filesystem::path& key);
    std::string sign(const CaseLease& lease) const; // -> the signed wire form
private:
    openssl::PkeyPtr key_;
};

// The kiosk's side: the receipt certificate is pinned (no chain).
class LeaseVerifier
{
public:
    explicit LeaseVerifier(const std::filesystem::path& pinnedReceiptCert);
    // Throws LeaseError unless body is the wire form above, signed by the pinned key, issued to
    // kioskId, with well-formed times (issuedAt < expiresAt) and at least one well-formed case
    // number, none twice. Expiry is not checked here (a stored lease stays readable; the outbox
    // takes no number from an expired one).
    CaseLease verify(std::string_view body, const std::string& kioskId) const;

private:
    openssl::PkeyPtr key_;
};

// What a filing sealed with a leased number carries, under the key "lease" of the filing object
// (added by the kiosk's Forwarder, inside the signed and encrypted envelope):
//   {"leaseId", "caseNumber", "verificationCode", "takenAt"}
// The verification code is the kiosk's own (15 random digits + the Luhn check digit); central
// stores only its slow hash, as for the codes it makes itself.
struct LeasedNumber {
    std::string leaseId;
    std::string caseNumber;
    std::string verificationCode;
    std::string takenAt; // ISO 8601 UTC, when the kiosk took the number (before the lease expired)
};
inline constexpr const char* FILING_LEASE_KEY = "lease";
nlohmann::json toJson(const LeasedNumber& taken);
// The filing's leased number, nullopt if it has none. Throws LeaseError if the block is there
// but malformed (a field missing, a malformed case number, time or verification code).
std::optional<LeasedNumber> leasedNumberOf(const nlohmann::json& filing);
// A fresh verification code: 15 digits from RAND_bytes (rejection sampling, no modulo bias) and
// the Luhn check digit (protocol::verificationCodeCheckDigit).
std::string newKioskVerificationCode();

// "2026-11-23T10:51:00Z" (exactly that shape, the time of leases and identity assertions) → time
// point; nullopt otherwise.
std::optional<std::chrono::system_clock::time_point> parseUtcTime(const std::string& text);
// parseUtcTime, throwing LeaseError where it has nothing.
std::chrono::system_clock::time_point parseLeaseTime(const std::string& text);
// The same shape from a time point (whole seconds, UTC).
std::string leaseTime(std::chrono::system_clock::time_point t);
// ROC date (7 digits) '-' sequence (4 to 8 digits): the shape of every case number.
bool isWellFormedCaseNumber(std::string_view number) noexcept;

} // namespace shensu::network
