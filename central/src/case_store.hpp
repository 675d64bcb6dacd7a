// Central's case register in SQLite (the CaseStorage of one central, storage.hpp): submissions by
// idempotency key, case numbers, verification code hashes, the workflow state and due dates of
// each case, and the signed receipts.
#pragma once

#include "registration.hpp"
#include "storage.hpp"

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

// Thread-safe: one connection behind a mutex (SQLite serialises writers anyway).
class CaseStore : public CaseStorage
{
public:
    // Without signing: for the admin commands (listing, workflow moves, show).
    explicit CaseStore(const std::filesystem::path& file);
    CaseStore(const std::filesystem::path& file, ReceiptSigning signing);
    ~CaseStore(); // cleanses the at-rest keys
    CaseStore(const CaseStore&) = delete;
    CaseStore& operator=(const CaseStore&) = delete;

    // The stored answer for a key seen before; re-signed (and stored) if the receipt
    // certificate changed since.
    Lookup findSubmission(
        const std::string& idempotencyKey, const std::string& envelopeSha256) override;

    // Registers the case, its due dates and its signed receipt durably before it returns. If the
    // key was stored meanwhile, answers as findSubmission would; else Replay::NONE with the answer
    // and `created` filled in. Group commit: registrations arriving while one commit is under way
    // are written together in the next transaction (one fsync for all of them), each in its own
    // savepoint, so one failing does not sink the others.
    Lookup registerCase(
        const NewCase& c, const WorkflowRules& rules, SubmissionReceipt& created) override;

    // The verification hash of a case (for a check outside the lock), nullopt if unknown.
    std::optional<std::string> verificationHash(const std::string& caseNumber) override;
    std::optional<CaseView> find(const std::string& caseNumber) override;

    // Moves a case to the next state (or to `to`, which must be the next one). Throws
    // CaseChangeError.
    CaseView advance(const std::string& caseNumber, const std::optional<std::string>& to,
        std::chrono::system_clock::time_point now) override;
    // Extends the result deadline by rules.resultExtension, at most rules.maxResultExtensions
    // times and only before the result is reported. Throws CaseChangeError.
    CaseView extend(const std::string& caseNumber, const WorkflowRules& rules,
        std::chrono::system_clock::time_point now) override;

    // One JSON line per case: {"caseNumber","receivedAt","kioskId","idempotencyKey","status"}.
    void listCases(std::ostream& out) override;

    // The latest heartbeat of each kiosk (one row per kiosk, replaced each time).
    void recordHeartbeat(const std::string& kioskId, const network::protocol::Heartbeat& heartbeat,
        std::chrono::system_clock::time_point now) override;
    // One JSON line per kiosk: {"kioskId","receivedAt","version","outboxDepth",
    // "oldestOutboxAgeSeconds","readers":[{name,state}]}.
    void listKiosks(std::ostream& out) override;

    // --- Case-number leases (case_lease_store.cpp; all of their SQL is there) ---
    // A block of case numbers for kioskId, reserved durably (from the same daily sequence as
    // central's own numbers, so no number is ever issued twice) and signed with sign; or the
    // kiosk's newest unexpired lease when it still holds policy.refillBelow unused numbers.
    LeaseAnswer leaseCaseNumbers(const std::string& kioskId, const LeasePolicy& policy,
        std::chrono::system_clock::time_point now,
        const std::function<std::string(const network::CaseLease&)>& sign) override;
    // One JSON line per lease: {"leaseId","kioskId","issuedAt","expiresAt","numbers","used"}.
    void listLeases(std::ostream& out) override;

private:
    void createLeaseTables(); // in the open transaction
    bool leaseTablesExist();
    // Throws LeaseRefused unless c.leased may be used by c.kioskId (its lease, unused); with the
    // lock held, in the registration's savepoint. Returns leaseTimeNote's note ("" if none).
    std::string checkLeasedLocked(const NewCase& c);
    // Reserves count numbers of the day's sequence; returns the first.
    std::string nextCaseNumberLocked(const std::string& day, int count);

    void commitBatch(const GroupCommit::Batch& batch);
    Lookup registerLocked(const NewCase& c, const WorkflowRules& rules, SubmissionReceipt& created);
    Lookup findLocked(const std::string& idempotencyKey, const std::string& envelopeSha256);
    std::optional<CaseView> findLocked(const std::string& caseNumber);
    std::string storeAnswer(const SubmissionReceipt& receipt);

    std::mutex mutex_; // the connection
    network::sqlite::Database db_;
    GroupCommit group_;
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
