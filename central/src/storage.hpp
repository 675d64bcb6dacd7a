// What central keeps, as an interface with two implementations: SQLite (case_store.hpp,
// auth_store.hpp: one central, the default) and PostgreSQL (pg_store.hpp: a fleet of centrals
// sharing one database). Everything a second central instance must see goes through here: cases,
// receipts and idempotency keys, verification hashes, the workflow state, heartbeats, and the
// health-card failure counters. (Login challenges live in memory, per instance: a kiosk redeems
// its challenge at the instance that issued it.)
//
// Adding a kind of record (e.g. case-number leases): a pure virtual here, one implementation in
// each of case_store.cpp and pg_store.cpp that only reads and writes (what both decide alike -
// receipts, replays, workflow moves, lease checks, the NHI key check - is in registration.hpp),
// and the same tests run against both ([storage]: SHENSU_TEST_DB, tests/support/postgres.hpp).
#pragma once

#include "workflow.hpp"

#include <network/case_lease.hpp>
#include <network/openssl.hpp>
#include <network/protocol.hpp>

#include <chrono>
#include <exception>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <ostream>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

namespace shensu::central
{

using network::protocol::SubmissionReceipt;

// A case as the workflow sees it (no envelope, no code).
struct CaseView {
    std::string caseNumber;
    std::string status; // CaseState code
    std::string statusAt; // UTC time of the last change
    std::string receivedAt;
    std::string kioskId;
    std::string initialReportDue;
    std::string resultReportDue;
    int resultExtensions = 0;
    struct Change {
        std::string status;
        std::string at;
    };
    std::vector<Change> history; // oldest first, starting with "received"
};

// A move the workflow does not allow (wrong order, no extension left, unknown case).
class CaseChangeError : public std::runtime_error
{
public:
    using std::runtime_error::runtime_error;
};

// How central signs receipts, and the key that keeps stored receipts (which name the
// verification code) unreadable to someone holding only the database.
struct ReceiptSigning {
    std::string signerId; // ReceiptSigner::id()
    std::function<std::string(const SubmissionReceipt&)> sign; // -> the answer body
    network::Bytes atRestKey; // 32 bytes, AES-256-GCM: seals every receipt stored from now on
    // Keys receipts may have been sealed under before (an earlier derivation, a rotated
    // encryption key): tried when atRestKey does not open a row; a row that opens under one of
    // them is sealed again under atRestKey.
    std::vector<network::Bytes> olderAtRestKeys;
};

// The case register. Implementations are thread-safe.
// A filing central will not register under the leased number it carries (another kiosk's lease,
// a number used already, an expired lease, a number never leased): answered 422, nothing stored.
class LeaseRefused : public std::runtime_error
{
public:
    using std::runtime_error::runtime_error;
};

// The storage cannot lease case numbers (answered 503: the kiosk carries on without a lease).
class LeaseUnavailable : public std::runtime_error
{
public:
    using std::runtime_error::runtime_error;
};

// Why a leased number's times are out of its lease's, "" when they are not: taken (the kiosk's
// claim, from its clock) well before the lease was issued or after it expired, or arriving long
// after expiry. None of these is refused: the number is reserved for that kiosk for good, and the
// person was shown it as final; a slow kiosk clock or a long outage must not lose the filing.
std::string leaseTimeNote(std::chrono::system_clock::time_point takenAt,
    std::chrono::system_clock::time_point issued, std::chrono::system_clock::time_point expires,
    std::chrono::system_clock::time_point receivedAt, std::chrono::hours deliveryGrace);

// How central leases case numbers (central/README.md, "Case-number leases").
struct LeasePolicy {
    int blockSize = 20; // numbers per lease
    std::chrono::hours lifetime { 72 }; // a kiosk takes numbers from a lease this long
    // A number taken before expiry normally arrives within this long after it; a later one is
    // registered all the same (the number is reserved for that kiosk for good) and logged.
    std::chrono::hours deliveryGrace { 24 * 30 };
    // A new block only while the kiosk holds fewer unused numbers in unexpired leases than this;
    // otherwise the kiosk gets its newest lease again. So a kiosk never holds more than
    // refillBelow - 1 + blockSize unused numbers.
    int refillBelow = 10;
    // Tests only (--lease-delay-ms): held after counting the kiosk's unused numbers and before
    // reserving a block, so that two centrals' requests overlap there (the race the lock prevents).
    std::chrono::milliseconds countedDelay { 0 };
};

class CaseStorage
{
public:
    virtual ~CaseStorage() = default;

    enum class Replay { NONE, SAME_BODY, OTHER_BODY };
    struct Lookup {
        Replay replay = Replay::NONE;
        std::string answer; // the signed receipt body, for SAME_BODY
        // A new case under a leased number whose times are out of its lease's (leaseTimeNote):
        // registered all the same, the note is for the log.
        std::string leaseNote {};
    };
    // The stored answer for a key seen before; re-signed (and stored) if the receipt
    // certificate changed since.
    virtual Lookup findSubmission(
        const std::string& idempotencyKey, const std::string& envelopeSha256)
        = 0;

    struct NewCase {
        std::string idempotencyKey;
        std::string envelopeSha256;
        std::span<const unsigned char> envelope; // kept as received (still sealed to central)
        std::string kioskId;
        std::chrono::system_clock::time_point receivedAt;
        std::string verificationCode; // goes into the receipt only
        std::string verificationHash; // hashVerificationCode(verificationCode)
        // Set when the filing carries a leased number (and its code is the kiosk's): the case
        // gets that number if the lease allows it, else registerCase throws LeaseRefused.
        std::optional<network::LeasedNumber> leased {};
        const LeasePolicy* leasePolicy = nullptr; // required with leased
    };
    // Registers the case, its due dates and its signed receipt durably (committed) before it
    // returns. If the key was stored meanwhile (by this central or another one sharing the
    // database), answers as findSubmission would; else Replay::NONE with the answer and `created`
    // filled in. Group commit: registrations arriving while one commit is under way are written
    // together in the next transaction, each in its own savepoint, so one failing does not sink
    // the others.
    virtual Lookup registerCase(
        const NewCase& c, const WorkflowRules& rules, SubmissionReceipt& created)
        = 0;

    // The verification hash of a case (for a check outside the lock), nullopt if unknown.
    virtual std::optional<std::string> verificationHash(const std::string& caseNumber) = 0;
    virtual std::optional<CaseView> find(const std::string& caseNumber) = 0;

    // Moves a case to the next state (or to `to`, which must be the next one). Throws
    // CaseChangeError.
    virtual CaseView advance(const std::string& caseNumber, const std::optional<std::string>& to,
        std::chrono::system_clock::time_point now)
        = 0;
    // Extends the result deadline by rules.resultExtension, at most rules.maxResultExtensions
    // times and only before the result is reported. Throws CaseChangeError.
    virtual CaseView extend(const std::string& caseNumber, const WorkflowRules& rules,
        std::chrono::system_clock::time_point now)
        = 0;

    // One JSON line per case, in the order received:
    // {"caseNumber","receivedAt","kioskId","idempotencyKey","status"}.
    virtual void listCases(std::ostream& out) = 0;

    // The latest heartbeat of each kiosk (one row per kiosk, replaced each time).
    virtual void recordHeartbeat(const std::string& kioskId,
        const network::protocol::Heartbeat& heartbeat, std::chrono::system_clock::time_point now)
        = 0;
    // One JSON line per kiosk: {"kioskId","receivedAt","version","outboxDepth",
    // "oldestOutboxAgeSeconds","heldFilings","readers":[{name,state}]} ("heldFilings" missing in a
    // heartbeat stored before central knew it).
    virtual void listKiosks(std::ostream& out) = 0;

    // --- Case-number leases (SQLite: case_lease_store.cpp; PostgreSQL: pg_store.cpp) ---
    struct LeaseAnswer {
        bool created = false; // a new block (else the kiosk's newest unexpired lease again)
        std::string body; // the signed lease (network/case_lease.hpp wire form)
    };
    // A block of case numbers for kioskId, reserved durably (from the same daily sequence as
    // central's own numbers, so no number is ever issued twice) and signed with sign; or the
    // kiosk's newest unexpired lease when it still holds policy.refillBelow unused numbers.
    virtual LeaseAnswer leaseCaseNumbers(const std::string& kioskId, const LeasePolicy& policy,
        std::chrono::system_clock::time_point now,
        const std::function<std::string(const network::CaseLease&)>& sign)
        = 0;
    // One JSON line per lease: {"leaseId","kioskId","issuedAt","expiresAt","numbers","used"}.
    virtual void listLeases(std::ostream& out) = 0;
};

// The health-card failure counters. Thread-safe. Cards are keyed by HMAC-SHA256 of their number
// under a 32-byte secret kept in a key file (created at first start, mode 0600), never in the
// database: 12-digit numbers are too few for an unkeyed hash to hide them. Central refuses to
// start if the key file is gone while the counters hold counts (losing it would silently unlock
// every locked card). A fleet shares one key file (copied to each instance).
class NhiCounterStorage
{
public:
    virtual ~NhiCounterStorage() = default;
    // Counts an attempt before the password is checked (so a crash or a concurrent attempt, on
    // this central or another, can never get an extra try): nullopt if the card already has
    // maxFailures, else the count including this attempt.
    virtual std::optional<int> begin(const std::string& cardNumber, int maxFailures) = 0;
    // The password was right: the count goes back to 0.
    virtual void succeeded(const std::string& cardNumber) = 0;
    // The password could not be checked at all (an internal error): takes back one begin().
    virtual void cancel(const std::string& cardNumber) = 0;
    // The card's consecutive wrong passwords so far, counting nothing (POST /v1/auth/nhi/status).
    virtual int failures(const std::string& cardNumber) = 0;
};

// Did a request fail because the storage could not be reached or answer in time (a lost or
// silent PostgreSQL connection)? Answered 503, not 500: the kiosk retries later.
bool storageUnavailable(const std::exception_ptr& error);

// --db: a PostgreSQL connection URI ("postgresql://…" or "postgres://…") or a SQLite file.
bool isPostgresUri(const std::string& db);
// For a SQLite file the database must exist unless create (the admin commands must not create
// an empty register by a typo). signing is empty for the admin commands.
std::unique_ptr<CaseStorage> openCaseStorage(
    const std::string& db, ReceiptSigning signing = {}, bool create = true);
std::unique_ptr<NhiCounterStorage> openNhiCounter(
    const std::string& db, const std::filesystem::path& keyFile);

} // namespace shensu::central
