// Central's case register in SQLite: submissions by idempotency key, case numbers, verification
// code hashes, the workflow state and due dates of each case, and the signed receipts.
#pragma once

#include "workflow.hpp"

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

private:
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
// "2026-11-23T10:51:00Z"
std::string utcTimestamp(std::chrono::system_clock::time_point t);
// The JSON form of a case (admin `case show`, tests).
nlohmann::json toJson(const CaseView& c);

} // namespace shensu::central
