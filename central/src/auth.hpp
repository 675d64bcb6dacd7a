// Central's login checks (protocol v1 /v1/auth/*): single-use challenges, the citizen-card
// certificate and signature checks against the MOICA CA and its CRL, the personnel directory, and
// the health-card registration passwords with their durable failure counter. See README.md.
#pragma once

#include "auth_store.hpp"

#include <network/openssl.hpp>

#include <chrono>
#include <filesystem>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace shensu::central
{

struct AuthOptions {
    std::filesystem::path moicaCa; // the trust anchor of citizen certificates (PEM)
    std::filesystem::path moicaCrl; // the MOICA CA's CRL (PEM); revocation is always checked
    std::filesystem::path personnel; // the personnel directory (JSON, README.md)
    std::filesystem::path nhiRegistry; // health-card registration passwords (JSON, README.md)
    int nhiMaxFailures = 3; // consecutive wrong passwords that lock a card
    std::chrono::seconds challengeLifetime { 120 };
};

// The refusals of POST /v1/auth/card, in the order they are checked (challenge first; the
// directory only after the signature has proved the card is present).
enum class CardRefusal {
    CHALLENGE_INVALID,
    CERTIFICATE_INVALID,
    CERTIFICATE_EXPIRED,
    CERTIFICATE_REVOKED,
    BAD_SIGNATURE,
    NOT_IN_PERSONNEL,
    DEPARTED,
    OWNER_MISMATCH,
};
// The wire code, e.g. "certificate_revoked".
std::string_view refusalCode(CardRefusal refusal);

struct Identity {
    std::string name;
    std::string agency;
};

// Challenges live in memory only: a restarted central has none (kiosks simply ask again).
class ChallengeBook
{
public:
    explicit ChallengeBook(std::chrono::seconds lifetime)
        : lifetime_(lifetime)
    { }
    struct Issued {
        std::string challengeId; // UUIDv4
        std::string nonce; // base64 of 32 random bytes
        std::string expiresAt; // ISO 8601 UTC
    };
    Issued issue(const std::string& kioskId);
    // Takes the challenge out of the book (whatever the outcome: a challenge is tried once) and
    // returns its nonce if it exists, belongs to kioskId and has not expired.
    std::optional<std::string> redeem(const std::string& challengeId, const std::string& kioskId);

private:
    struct Entry {
        std::string kioskId;
        std::string nonce;
        std::chrono::steady_clock::time_point expires;
    };
    std::chrono::seconds lifetime_;
    std::mutex mutex_;
    std::map<std::string, Entry> entries_;
};

// The personnel directory (--personnel): who may log in with which citizen certificate.
class PersonnelDirectory
{
public:
    explicit PersonnelDirectory(const std::filesystem::path& file); // throws on a malformed file
    struct Person {
        std::string id;
        Identity identity;
        bool departed = false;
    };
    // The person whose account the certificate with this subject serialNumber is bound to.
    const Person* boundTo(const std::string& certificateSerial) const;
    // The national ID MOICA answers for this certificate holder serial ("" if it knows none).
    std::string holderOf(const std::string& certificateSerial) const;

private:
    std::map<std::string, Person> byCertificate_;
    std::map<std::string, std::string> holders_;
};

struct CardResult {
    std::optional<CardRefusal> refusal; // unset: ok
    Identity identity; // set when ok
};

// Everything /v1/auth/card checks after the challenge. Thread-safe (read-only after
// construction).
class CardVerifier
{
public:
    CardVerifier(const std::filesystem::path& moicaCa, const std::filesystem::path& moicaCrl,
        const std::filesystem::path& personnel);
    CardResult verify(std::span<const unsigned char> certificateDer,
        std::span<const unsigned char> signature, std::string_view message) const;

private:
    std::optional<CardRefusal> checkCertificate(X509* certificate) const;
    network::openssl::StorePtr store_;
    PersonnelDirectory personnel_;
};

// A health card's registration password, as the registry keeps it: scrypt.
struct NhiEntry {
    Identity identity;
    network::Bytes salt;
    network::Bytes hash;
    std::uint64_t n = 0;
    std::uint64_t r = 0;
    std::uint64_t p = 0;
};
class NhiRegistry
{
public:
    explicit NhiRegistry(const std::filesystem::path& file); // throws on a malformed file
    const NhiEntry* find(const std::string& cardNumber) const;
    static bool matches(const NhiEntry& entry, std::string_view password);
    // The registry's JSON member for one card (salted scrypt of password): what `shensu-central
    // nhi-register` writes.
    static nlohmann::json makeEntry(
        std::string_view password, const std::string& name, const std::string& agency);

private:
    std::map<std::string, NhiEntry> cards_;
};

struct NhiResult {
    enum class Kind { OK, WRONG_PASSWORD, LOCKED, NOT_REGISTERED } kind;
    int triesLeft = 0; // for WRONG_PASSWORD
    Identity identity; // for OK
};

bool validCardNumber(std::string_view cardNumber); // 12 digits
bool validNhiPassword(std::string_view password); // 6–12 printable ASCII

// The whole of the login service, as the HTTP handlers use it.
class AuthService
{
public:
    AuthService(const AuthOptions& options, const std::filesystem::path& db);
    ChallengeBook::Issued challenge(const std::string& kioskId)
    {
        return challenges_.issue(kioskId);
    }
    CardResult card(const std::string& kioskId, const std::string& challengeId,
        std::span<const unsigned char> certificateDer, std::span<const unsigned char> signature);
    NhiResult nhi(const std::string& cardNumber, std::string_view password);

private:
    ChallengeBook challenges_;
    CardVerifier verifier_;
    NhiRegistry registry_;
    NhiCounter counter_;
    int maxFailures_;
};

} // namespace shensu::central
