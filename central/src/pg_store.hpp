// Central's storage in PostgreSQL (libpqxx), for a fleet of centrals sharing one database: the
// same records and guarantees as the SQLite register (storage.hpp). Chosen by
// `--db postgresql://…` (central/README.md).
#pragma once

#include "registration.hpp"
#include "storage.hpp"

#include <condition_variable>
#include <exception>
#include <mutex>
#include <pqxx/pqxx>
#include <string>
#include <vector>

namespace shensu::central
{

// The URI central connects with: the caller's, plus keepalives, a TCP user timeout and lock,
// statement and idle-in-transaction timeouts (see pg_store.cpp) where the caller set none.
std::string pgConnectionUri(const std::string& uri);

// Creates the schema if the database has none (under an advisory lock, so centrals starting
// together do not race), with a row in shensu_schema naming its version; refuses another version.
// create false: a database without the schema is an error (the admin commands).
void ensurePgSchema(pqxx::connection& connection, bool create);

// Two connections, each behind a mutex: one that writes (the group commits, workflow moves,
// heartbeats), one that reads (replays, status queries, listings), so a status query does not
// wait for a commit's fsync. Each commit is synchronous (synchronous_commit = on, whatever the
// server's default), so a receipt leaves central only once its case is on disk.
class PgCaseStore : public CaseStorage
{
public:
    PgCaseStore(const std::string& uri, ReceiptSigning signing, bool create);
    ~PgCaseStore() override; // cleanses the at-rest keys
    PgCaseStore(const PgCaseStore&) = delete;
    PgCaseStore& operator=(const PgCaseStore&) = delete;

    Lookup findSubmission(
        const std::string& idempotencyKey, const std::string& envelopeSha256) override;
    // Each group commit first takes a transaction-scoped advisory lock shared by every central on
    // the database: commits are serialised fleet-wide as SQLite serialises writers, so the
    // idempotency check and the insert cannot race another instance, case numbers stay dense,
    // and two batches never deadlock. The UNIQUE idempotency key backs this up.
    Lookup registerCase(
        const NewCase& c, const WorkflowRules& rules, SubmissionReceipt& created) override;
    std::optional<std::string> verificationHash(const std::string& caseNumber) override;
    std::optional<CaseView> find(const std::string& caseNumber) override;
    CaseView advance(const std::string& caseNumber, const std::optional<std::string>& to,
        std::chrono::system_clock::time_point now) override;
    CaseView extend(const std::string& caseNumber, const WorkflowRules& rules,
        std::chrono::system_clock::time_point now) override;
    void listCases(std::ostream& out) override;
    void recordHeartbeat(const std::string& kioskId, const network::protocol::Heartbeat& heartbeat,
        std::chrono::system_clock::time_point now) override;
    void listKiosks(std::ostream& out) override;
    // Leases as in SQLite (case_lease_store.cpp): a new block is reserved under the
    // registrations' advisory lock, from the same case_sequence, and committed before it is
    // answered; a filing carrying a leased number is checked in its registration's savepoint.
    LeaseAnswer leaseCaseNumbers(const std::string& kioskId, const LeasePolicy& policy,
        std::chrono::system_clock::time_point now,
        const std::function<std::string(const network::CaseLease&)>& sign) override;
    void listLeases(std::ostream& out) override;

private:
    void commitBatch(const GroupCommit::Batch& batch);
    Lookup registerIn(pqxx::transaction_base& tx, const NewCase& c, const WorkflowRules& rules,
        SubmissionReceipt& created);
    Lookup findIn(pqxx::transaction_base& tx, const std::string& idempotencyKey,
        const std::string& envelopeSha256);
    std::optional<CaseView> findIn(pqxx::transaction_base& tx, const std::string& caseNumber);
    std::string storeAnswer(pqxx::transaction_base& tx, const SubmissionReceipt& receipt);
    // Throws LeaseRefused unless c.leased may be registered (storage.hpp, NewCase::leased).
    std::string checkLeased(pqxx::transaction_base& tx, const NewCase& c); // leaseTimeNote's note

    std::mutex writerMutex_;
    pqxx::connection writer_;
    std::mutex readerMutex_;
    pqxx::connection reader_;
    std::chrono::milliseconds answerLimit_; // a call without an answer this long fails (503)
    GroupCommit group_;
    ReceiptSigning signing_;
};

// The health-card failure counters in PostgreSQL: begin() is one atomic upsert that counts only
// while the card is below the limit, so concurrent attempts on several centrals cannot get an
// extra try. The key file is --nhi-key (each central of a fleet holds a copy).
class PgNhiCounter : public NhiCounterStorage
{
public:
    PgNhiCounter(const std::string& uri, const std::filesystem::path& keyFile);
    ~PgNhiCounter() override;
    PgNhiCounter(const PgNhiCounter&) = delete;
    PgNhiCounter& operator=(const PgNhiCounter&) = delete;
    std::optional<int> begin(const std::string& cardNumber, int maxFailures) override;
    void succeeded(const std::string& cardNumber) override;
    void cancel(const std::string& cardNumber) override;
    int failures(const std::string& cardNumber) override;

private:
    std::mutex mutex_;
    pqxx::connection connection_;
    std::chrono::milliseconds answerLimit_;
    network::Bytes secret_;
};

} // namespace shensu::central
