// What both case registers (case_store.cpp: SQLite, pg_store.cpp: PostgreSQL) and both
// health-card counters (auth_store.cpp, pg_store.cpp) decide alike, kept here once so that a
// backend only reads and writes: a new case's receipt, a replay's answer, the workflow's moves,
// a leased number's checks, the NHI key's check value.
#pragma once

#include "storage.hpp"

#include <network/openssl.hpp>

#include <chrono>
#include <condition_variable>
#include <exception>
#include <filesystem>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace shensu::central
{

// Group commit, both backends: concurrent registrations queue up and one of them leads a commit of
// everything queued so far (one fsync for them all); each call returns once its own row is
// durable, with its own result or its own error.
class GroupCommit
{
public:
    struct Registration {
        const CaseStorage::NewCase* newCase;
        const WorkflowRules* rules;
        SubmissionReceipt created;
        CaseStorage::Lookup result;
        std::exception_ptr error;
        bool done = false;
    };
    using Batch = std::vector<Registration*>;
    // commitBatch writes a batch in one transaction and fills each Registration's created, result
    // or error; it runs on the leading caller's thread, one batch at a time.
    CaseStorage::Lookup registerCase(const CaseStorage::NewCase& c, const WorkflowRules& rules,
        SubmissionReceipt& created, const std::function<void(const Batch&)>& commitBatch);

private:
    std::mutex queueMutex_; // registrations waiting for the next group commit
    std::condition_variable committed_;
    Batch queue_;
    bool committing_ = false;
};

// The receipt of a new case numbered `number`: its time, and its due dates from the rules.
SubmissionReceipt newCaseReceipt(
    const CaseStorage::NewCase& c, const std::string& number, const WorkflowRules& rules);

// A replayed Idempotency-Key whose case is stored with the same envelope and a stored answer
// (the backend checks both first): the answer opened (resealed: the row sealed again under the
// current key, for the backend to write back), and, if it was signed under an older receipt
// certificate, the receipt to sign and store anew.
struct StoredAnswer {
    std::string body;
    std::optional<network::Bytes> resealed;
    std::optional<SubmissionReceipt> signAgain;
};
StoredAnswer openReplayedAnswer(const ReceiptSigning& signing, const network::Bytes& sealed,
    const std::string& signer, const std::string& idempotencyKey);

// The state a case moves to (to, if given, must be it). Throws CaseChangeError.
std::string nextCaseState(const std::optional<CaseView>& current, const std::string& caseNumber,
    const std::optional<std::string>& to);
// The result deadline after one more extension. Throws CaseChangeError.
std::string extendedResultDue(const std::optional<CaseView>& current, const std::string& caseNumber,
    const WorkflowRules& rules);

// The lease a case number belongs to, as stored; nullopt if it was never leased.
struct StoredLease {
    std::string leaseId;
    std::string kioskId;
    std::chrono::system_clock::time_point issued;
    std::chrono::system_clock::time_point expires;
    bool used = false; // a case has the number already
};
// Whether c may be registered under its leased number: throws LeaseRefused, else the note on
// odd times (leaseTimeNote), "" if none.
std::string checkLeasedNumber(
    const CaseStorage::NewCase& c, const std::optional<StoredLease>& lease);

// The NHI counter key at start: the key file's secret (a new one made if it is missing and the
// database holds neither a check value nor counts), checked against the stored check value.
// Throws std::runtime_error when central must not start. storeCheck: the database has no check
// value yet and the backend stores `check`.
struct NhiKeyAtStart {
    network::Bytes secret;
    std::string check; // nhiKeyCheck(secret)
    bool storeCheck = false;
};
NhiKeyAtStart nhiKeyAtStart(const std::filesystem::path& keyFile,
    const std::optional<std::string>& storedCheck, bool holdsCounts);

} // namespace shensu::central
