// Central's login checks (protocol v1 /v1/auth/*): single-use challenges, the citizen-card
// certificate and signature checks against the MOICA CA and its CRL, the personnel directory, and
// the health-card registration passwords with their durable failure counter. See README.md.
#pragma once

#include "auth_store.hpp"

#include <network/auth_client.hpp> // validCardNumber, validNhiPassword
#include <network/identity_assertion.hpp>
#include <network/openssl.hpp>

#include <chrono>
#include <deque>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace shensu::central
{

struct AuthOptions {
    std::filesystem::path moicaCa; // the trust anchor of citizen certificates (PEM)
    std::filesystem::path moicaCrl; // the MOICA CA's CRL (PEM); revocation is always checked
    std::filesystem::path personnel; // the personnel directory (JSON, README.md)
    std::filesystem::path nhiRegistry; // health-card registration passwords (JSON, README.md)
    int nhiMaxFailures = 3; // consecutive wrong passwords that lock a card
    std::chrono::seconds challengeLifetime { 120 };
    // The health-card counters' key file (auth_store.hpp); empty: the SQLite database's name +
    // ".nhi-key". Required with a PostgreSQL database (--nhi-key).
    std::filesystem::path nhiKey;
    // Signs the identity assertion of a health-card login (central's receipt certificate and key);
    // empty: no assertion is issued.
    std::filesystem::path assertionCert, assertionKey;
    std::chrono::minutes assertionLifetime { 30 };
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

// Challenges live in memory only: a restarted central has none (kiosks simply ask again). Each
// kiosk holds at most MAX_PER_KIOSK outstanding challenges (a new one evicts that kiosk's oldest),
// so one kiosk can neither exhaust memory nor evict another kiosk's challenges. Every operation
// touches only the asking kiosk's few entries.
class ChallengeBook
{
public:
    static constexpr std::size_t MAX_PER_KIOSK = 4;
    explicit ChallengeBook(std::chrono::seconds lifetime)
        : lifetime_(lifetime)
    { }
    struct Issued {
        std::string challengeId; // UUIDv4
        std::string nonce; // base64 of 32 random bytes
        std::string expiresAt; // ISO 8601 UTC
    };
    Issued issue(const std::string& kioskId);
    // Returns the nonce if the challenge exists, belongs to kioskId and has not expired. A
    // challenge of kioskId is taken out of the book whatever the outcome (it is tried once); one
    // named by another kiosk stays for its owner.
    std::optional<std::string> redeem(const std::string& challengeId, const std::string& kioskId);

private:
    struct Entry {
        std::string challengeId;
        std::string nonce;
        std::chrono::steady_clock::time_point expires;
    };
    // The lifetime is constant, so each kiosk's deque (issue order) is also in expiry order.
    void dropExpired(std::deque<Entry>& entries, std::chrono::steady_clock::time_point now);
    std::chrono::seconds lifetime_;
    std::mutex mutex_;
    std::unordered_map<std::string, std::deque<Entry>> byKiosk_;
    std::unordered_map<std::string, std::string> owner_; // challengeId → kioskId
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
    std::optional<CardRefusal> refusal; // unset and unavailable empty: ok
    Identity identity; // set when ok
    // Set when central cannot judge the card (its MOICA CRL is stale or missing, the MOICA CA
    // itself is out of date...): technician text, answered 503, never a verdict on the card.
    std::string unavailable;
};

// Everything /v1/auth/card checks after the challenge. Thread-safe.
//
// The CRL must be issued and signed by the MOICA CA and current (lastUpdate ≤ now < nextUpdate)
// when central starts, or the constructor throws. It is read again whenever the file changes
// (checked at every card login: a stat), so an operator or a cron job replaces it in place
// (write + rename); a replacement that fails those checks is logged and the previous CRL stays.
class CardVerifier
{
public:
    CardVerifier(const std::filesystem::path& moicaCa, const std::filesystem::path& moicaCrl,
        const std::filesystem::path& personnel);
    CardResult verify(std::span<const unsigned char> certificateDer,
        std::span<const unsigned char> signature, std::string_view message) const;
    // The same checks of the certificate and the directory, for a signature that was checked
    // elsewhere (a filing's card SignerInfo, verified when the envelope was opened).
    CardResult identify(std::span<const unsigned char> certificateDer) const;

private:
    CardResult directory(const X509* certificate) const;
    struct Checked {
        std::optional<CardRefusal> refusal;
        std::string unavailable;
    };
    Checked checkCertificate(X509* certificate) const;
    std::shared_ptr<X509_STORE> currentStore() const; // reloads the CRL if its file changed
    network::openssl::X509Ptr anchor_;
    std::filesystem::path crlPath_;
    PersonnelDirectory personnel_;
    mutable std::mutex mutex_;
    mutable std::shared_ptr<X509_STORE> store_;
    mutable std::string
        crlStamp_; // identity of the CRL file last read (device, inode, mtime, size)
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
    nlohmann::json assertion; // for OK: the signed identity assertion, or null
};

// What POST /v1/auth/nhi/status says about a card before any password is sent: how many tries it
// has left, locked, or not registered. Nothing is counted.
struct NhiStatus {
    enum class Kind { OK, LOCKED, NOT_REGISTERED } kind;
    int triesLeft = 0; // for OK (≥ 1)
};

using network::validCardNumber; // 12 digits
using network::validNhiPassword; // 6–12 printable ASCII, no space

// The whole of the login service, as the HTTP handlers use it.
class AuthService
{
public:
    AuthService(const AuthOptions& options, const std::string& db);
    ChallengeBook::Issued challenge(const std::string& kioskId)
    {
        return challenges_.issue(kioskId);
    }
    CardResult card(const std::string& kioskId, const std::string& challengeId,
        std::span<const unsigned char> certificateDer, std::span<const unsigned char> signature);
    NhiResult nhi(
        const std::string& kioskId, const std::string& cardNumber, std::string_view password);
    // Who signed a filing with this card certificate (CardVerifier::identify).
    CardResult filingSigner(std::span<const unsigned char> certificateDer) const
    {
        return verifier_.identify(certificateDer);
    }
    NhiStatus nhiStatus(const std::string& cardNumber);

private:
    ChallengeBook challenges_;
    CardVerifier verifier_;
    NhiRegistry registry_;
    std::unique_ptr<NhiCounterStorage> counter_;
    int maxFailures_;
    std::optional<network::AssertionSigner> assertions_;
    std::chrono::minutes assertionLifetime_;
};

} // namespace shensu::central
