// Central's case register in SQLite: submissions by idempotency key, case numbers, verification
// code hashes, the workflow state and due dates of each case, and the signed receipts.
#pragma once

#include "workflow.hpp"

#include <network/case_lease.hpp>
#include <network/openssl.hpp>
#include <network/protocol.hpp>
#include <network/sqlite.hpp>

#include <chrono>
#include <condition_variable>
#include <exception>
#include <filesystem>
#include <functional>
#include <mutex>
#include <optional>
#include <ostream>
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

// A filing central will not register under the leased number it carries (another kiosk's lease,
// a number used already, an expired lease, a number never leased): answered 422, nothing stored.
class LeaseRefused : public std::runtime_error
{
public:
    using std::runtime_error::runtime_error;
};

// How central leases case numbers (central/README.md, "Case-number leases").
struct LeasePolicy {
    int blockSize = 20; // numbers per lease
    std::chrono::hours lifetime { 72 }; // a kiosk takes numbers from a lease this long
    // A number taken before expiry may still arrive this long after it (a kiosk offline for
    // days); after that the filing is refused like an expired one.
    std::chrono::hours deliveryGrace { 24 * 30 };
    // A new block only while the kiosk holds fewer unused numbers in unexpired leases than this;
    // otherwise the kiosk gets its newest lease again. So a kiosk never holds more than
    // refillBelow - 1 + blockSize unused numbers.
    int refillBelow = 10;
};

// Thread-safe: one connection behind a mutex (SQLite serialises writers anyway).
class CaseStore
{
public:
    // Without signing: for the admin commands (listing, workflow moves, show).
    explicit CaseStore(const std::filesystem::path& file);
    CaseStore(const std::filesystem::path& file, ReceiptSigning signing);
    ~CaseStore(); // cleanses the at-rest keys
    CaseStore(const CaseStore&) = delete;
    CaseStore& operator=(const CaseStore&) = delete;

    enum class Replay { NONE, SAME_BODY, OTHER_BODY };
    struct Lookup {
        Replay replay = Replay::NONE;
        std::string answer; // the signed receipt body, for SAME_BODY
    };
    // The stored answer for a key seen before; re-signed (and stored) if the receipt
    // certificate changed since.
    Lookup findSubmission(const std::string& idempotencyKey, const std::string& envelopeSha256);

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
    // Registers the case, its due dates and its signed receipt durably before it returns. If the
    // key was stored meanwhile, answers as findSubmission would; else Replay::NONE with the answer
    // and `created` filled in. Group commit: registrations arriving while one commit is under way
    // are written together in the next transaction (one fsync for all of them), each in its own
    // savepoint, so one failing does not sink the others.
    Lookup registerCase(const NewCase& c, const WorkflowRules& rules, SubmissionReceipt& created);

    // The verification hash of a case (for a check outside the lock), nullopt if unknown.
    std::optional<std::string> verificationHash(const std::string& caseNumber);
    std::optional<CaseView> find(const std::string& caseNumber);

    // Moves a case to the next state (or to `to`, which must be the next one). Throws
    // CaseChangeError.
    CaseView advance(const std::string& caseNumber, const std::optional<std::string>& to,
        std::chrono::system_clock::time_point now);
    // Extends the result deadline by rules.resultExtension, at most rules.maxResultExtensions
    // times and only before the result is reported. Throws CaseChangeError.
    CaseView extend(const std::string& caseNumber, const WorkflowRules& rules,
        std::chrono::system_clock::time_point now);

    // One JSON line per case: {"caseNumber","receivedAt","kioskId","idempotencyKey","status"}.
    void listCases(std::ostream& out);

    // The latest heartbeat of each kiosk (one row per kiosk, replaced each time).
    void recordHeartbeat(const std::string& kioskId, const network::protocol::Heartbeat& heartbeat,
        std::chrono::system_clock::time_point now);
    // One JSON line per kiosk: {"kioskId","receivedAt","version","outboxDepth",
    // "oldestOutboxAgeSeconds","readers":[{name,state}]}.
    void listKiosks(std::ostream& out);

    // --- Case-number leases (case_lease_store.cpp; all of their SQL is there) ---
    struct LeaseAnswer {
        bool created = false; // a new block (else the kiosk's newest unexpired lease again)
        std::string body; // the signed lease (network/case_lease.hpp wire form)
    };
    // A block of case numbers for kioskId, reserved durably (from the same daily sequence as
    // central's own numbers, so no number is ever issued twice) and signed with sign; or the
    // kiosk's newest unexpired lease when it still holds policy.refillBelow unused numbers.
    LeaseAnswer leaseCaseNumbers(const std::string& kioskId, const LeasePolicy& policy,
        std::chrono::system_clock::time_point now,
        const std::function<std::string(const network::CaseLease&)>& sign);
    // One JSON line per lease: {"leaseId","kioskId","issuedAt","expiresAt","numbers","used"}.
    void listLeases(std::ostream& out);

private:
    void createLeaseTables(); // in the open transaction
    bool leaseTablesExist();
    // Throws LeaseRefused unless c.leased may be used by c.kioskId now; with the lock held, in
    // the registration's savepoint.
    void checkLeasedLocked(const NewCase& c);
    // Reserves count numbers of the day's sequence; returns the first.
    std::string nextCaseNumberLocked(const std::string& day, int count);

    struct Registration {
        const NewCase* newCase;
        const WorkflowRules* rules;
        SubmissionReceipt created;
        Lookup result;
        std::exception_ptr error;
        bool done = false;
    };
    void commitBatch(const std::vector<Registration*>& batch);
    Lookup registerLocked(const NewCase& c, const WorkflowRules& rules, SubmissionReceipt& created);
    Lookup findLocked(const std::string& idempotencyKey, const std::string& envelopeSha256);
    std::optional<CaseView> findLocked(const std::string& caseNumber);
    std::string storeAnswer(const SubmissionReceipt& receipt);

    std::mutex mutex_; // the connection
    network::sqlite::Database db_;
    std::mutex queueMutex_; // registrations waiting for the next group commit
    std::condition_variable committed_;
    std::vector<Registration*> queue_;
    bool committing_ = false;
    ReceiptSigning signing_;
};

// "YYYMMDD" of the ROC calendar for the Taipei (UTC+8, no DST) date of t.
std::string rocDate(std::chrono::system_clock::time_point t);
// "YYYMMDD-NNNN": a day's case number (at least 4 digits of sequence).
std::string caseNumber(const std::string& day, std::int64_t sequence);
// "2026-11-23T10:51:00Z"
std::string utcTimestamp(std::chrono::system_clock::time_point t);
// The JSON form of a case (admin `case show`, tests).
nlohmann::json toJson(const CaseView& c);

} // namespace shensu::central
