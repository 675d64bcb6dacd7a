// The case register: schema, case-number allocation, workflow moves, receipts kept sealed at rest.
#include "case_store.hpp"

#include "at_rest.hpp"
#include "registration.hpp"

#include <climits>
#include <cstdio>
#include <ctime>

#include <openssl/crypto.h>
#include <openssl/evp.h>

namespace shensu::central
{

namespace ossl = network::openssl;
using network::Bytes;

namespace
{
    constexpr int SCHEMA_VERSION = 3;
} // namespace

std::string receivedTaipeiDate(const std::string& utc)
{
    std::tm tm {};
    if (!strptime(utc.c_str(), "%Y-%m-%dT%H:%M:%SZ", &tm))
        throw CaseChangeError("bad stored time '" + utc + "'");
    return taipeiDate(std::chrono::system_clock::from_time_t(timegm(&tm)));
}

CaseStore::CaseStore(const std::filesystem::path& file)
    : CaseStore(file, ReceiptSigning {})
{ }

CaseStore::CaseStore(const std::filesystem::path& file, ReceiptSigning signing)
    : db_(file)
    , signing_(std::move(signing))
{
    db_.exec("PRAGMA journal_mode=WAL");
    db_.exec("PRAGMA synchronous=FULL");
    auto version = db_.prepare("PRAGMA user_version");
    version.step();
    const auto found = version.columnInt(0);
    auto tables = db_.prepare("SELECT count(*) FROM sqlite_master WHERE name = 'cases'");
    tables.step();
    if (found != SCHEMA_VERSION && tables.columnInt(0) != 0)
        throw network::sqlite::SqliteError("case database has schema " + std::to_string(found)
                + ", expected " + std::to_string(SCHEMA_VERSION)
                + " (no migration: start a new one)",
            1);
    // An up-to-date register is only read here: `cases` and `case` must not contend for the write
    // lock with a busy central. The lease tables came later, without a schema bump (they are
    // only added): a register from before them gets them on its next open.
    if (found == SCHEMA_VERSION) {
        if (!leaseTablesExist()) {
            network::sqlite::Transaction tx(db_);
            createLeaseTables();
            tx.commit();
        }
        return;
    }
    network::sqlite::Transaction tx(db_);
    db_.exec("CREATE TABLE IF NOT EXISTS cases ("
             " case_number TEXT PRIMARY KEY,"
             " verification_hash TEXT NOT NULL," // scrypt$N$r$p$salt$hash (verification.hpp)
             " idempotency_key TEXT NOT NULL UNIQUE,"
             " envelope_sha256 TEXT NOT NULL,"
             " envelope BLOB NOT NULL,"
             " kiosk_id TEXT NOT NULL,"
             " received_at TEXT NOT NULL,"
             " status TEXT NOT NULL,"
             " status_at TEXT NOT NULL,"
             " initial_report_due TEXT NOT NULL,"
             " result_report_due TEXT NOT NULL,"
             " result_extensions INTEGER NOT NULL DEFAULT 0)");
    db_.exec(
        "CREATE TABLE IF NOT EXISTS case_sequence (day TEXT PRIMARY KEY, last INTEGER NOT NULL)");
    // Every workflow move, including the extension of a deadline ("extended").
    db_.exec("CREATE TABLE IF NOT EXISTS case_events ("
             " case_number TEXT NOT NULL REFERENCES cases(case_number),"
             " status TEXT NOT NULL,"
             " at TEXT NOT NULL)");
    // The signed answer as first sent (ECDSA signatures are randomised: keeping it is what makes
    // a replay's answer byte-identical), sealed with AES-256-GCM because it names the verification
    // code, and the receipt certificate it was signed under.
    db_.exec("CREATE TABLE IF NOT EXISTS receipts ("
             " idempotency_key TEXT PRIMARY KEY,"
             " signer TEXT NOT NULL,"
             " sealed_body BLOB NOT NULL)");
    // The latest heartbeat per kiosk: health only (protocol.hpp refuses any other field).
    db_.exec("CREATE TABLE IF NOT EXISTS kiosk_heartbeats ("
             " kiosk_id TEXT PRIMARY KEY,"
             " received_at TEXT NOT NULL,"
             " body TEXT NOT NULL)");
    createLeaseTables();
    db_.exec("PRAGMA user_version = " + std::to_string(SCHEMA_VERSION));
    tx.commit();
}

CaseStore::~CaseStore()
{
    cleanseAtRestKeys(signing_);
}

std::string CaseStore::storeAnswer(const SubmissionReceipt& receipt)
{
    std::string body = signing_.sign(receipt);
    db_.prepare("INSERT OR REPLACE INTO receipts (idempotency_key, signer, sealed_body) VALUES (?, "
                "?, ?)")
        .bind(1, receipt.idempotencyKey)
        .bind(2, signing_.signerId)
        .bind(3, sealAtRest(signing_.atRestKey, body, receipt.idempotencyKey))
        .run();
    return body;
}

CaseStore::Lookup CaseStore::findLocked(
    const std::string& idempotencyKey, const std::string& envelopeSha256)
{
    auto stmt
        = db_.prepare("SELECT c.envelope_sha256, r.signer, r.sealed_body FROM cases c"
                      " LEFT JOIN receipts r USING (idempotency_key) WHERE idempotency_key = ?");
    stmt.bind(1, idempotencyKey);
    if (!stmt.step()) return {};
    if (stmt.columnText(0) != envelopeSha256) return { Replay::OTHER_BODY, {} };
    // A case whose answer is missing (a damaged or hand-edited register) is not new: say so
    // instead of failing on the UNIQUE idempotency key. The code is not kept in clear, so the
    // answer cannot be rebuilt: an operator must look at the case.
    if (stmt.columnIsNull(1))
        throw network::sqlite::SqliteError(
            "a case exists for a replayed submission but its stored answer is missing", 1);
    const Bytes sealed = stmt.columnBlob(2);
    const std::string signer = stmt.columnText(1);
    stmt.reset();
    auto answer = openReplayedAnswer(signing_, sealed, signer, idempotencyKey);
    if (answer.resealed)
        db_.prepare("UPDATE receipts SET sealed_body = ? WHERE idempotency_key = ?")
            .bind(1, *answer.resealed)
            .bind(2, idempotencyKey)
            .run();
    if (answer.signAgain) return { Replay::SAME_BODY, storeAnswer(*answer.signAgain) };
    return { Replay::SAME_BODY, std::move(answer.body) };
}

CaseStore::Lookup CaseStore::findSubmission(
    const std::string& idempotencyKey, const std::string& envelopeSha256)
{
    std::lock_guard lock(mutex_);
    return findLocked(idempotencyKey, envelopeSha256);
}

CaseStore::Lookup CaseStore::registerCase(
    const NewCase& c, const WorkflowRules& rules, SubmissionReceipt& created)
{
    return group_.registerCase(
        c, rules, created, [this](const GroupCommit::Batch& batch) { commitBatch(batch); });
}

void CaseStore::commitBatch(const GroupCommit::Batch& batch)
{
    std::lock_guard lock(mutex_);
    try {
        network::sqlite::Transaction tx(db_);
        for (auto* r : batch) {
            db_.exec("SAVEPOINT registration");
            try {
                r->result = registerLocked(*r->newCase, *r->rules, r->created);
                db_.exec("RELEASE registration");
            } catch (...) {
                r->error = std::current_exception();
                db_.exec("ROLLBACK TO registration");
                db_.exec("RELEASE registration");
            }
        }
        tx.commit();
    } catch (...) {
        for (auto* r : batch)
            r->error = std::current_exception(); // nothing of the batch was committed
    }
}

CaseStore::Lookup CaseStore::registerLocked(
    const NewCase& c, const WorkflowRules& rules, SubmissionReceipt& created)
{
    if (auto existing = findLocked(c.idempotencyKey, c.envelopeSha256);
        existing.replay != Replay::NONE)
        return existing;

    std::string number, leaseNote;
    if (c.leased) {
        leaseNote = checkLeasedLocked(c);
        number = c.leased->caseNumber;
    } else {
        number = nextCaseNumberLocked(rocDate(c.receivedAt), 1);
    }

    created = newCaseReceipt(c, number, rules);
    db_.prepare("INSERT INTO cases (case_number, verification_hash, idempotency_key,"
                " envelope_sha256, envelope, kiosk_id, received_at, status, status_at,"
                " initial_report_due, result_report_due)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, 'received', ?, ?, ?)")
        .bind(1, created.caseNumber)
        .bind(2, c.verificationHash)
        .bind(3, c.idempotencyKey)
        .bind(4, c.envelopeSha256)
        .bind(5, c.envelope)
        .bind(6, c.kioskId)
        .bind(7, created.receivedAt)
        .bind(8, created.receivedAt)
        .bind(9, created.initialReportDue)
        .bind(10, created.resultReportDue)
        .run();
    db_.prepare("INSERT INTO case_events (case_number, status, at) VALUES (?, 'received', ?)")
        .bind(1, created.caseNumber)
        .bind(2, created.receivedAt)
        .run();
    return { Replay::NONE, storeAnswer(created), std::move(leaseNote) };
}

std::string CaseStore::nextCaseNumberLocked(const std::string& day, int count)
{
    // The first of count numbers reserved from the day's sequence (count > 1: a lease).
    db_.prepare("INSERT INTO case_sequence (day, last) VALUES (?, ?)"
                " ON CONFLICT(day) DO UPDATE SET last = last + excluded.last")
        .bind(1, day)
        .bind(2, static_cast<std::int64_t>(count))
        .run();
    auto seq = db_.prepare("SELECT last FROM case_sequence WHERE day = ?");
    seq.bind(1, day).step();
    return caseNumber(day, seq.columnInt(0) - count + 1);
}

std::string caseNumber(const std::string& day, std::int64_t sequence)
{
    char number[32];
    std::snprintf(
        number, sizeof number, "%s-%04lld", day.c_str(), static_cast<long long>(sequence));
    return number;
}

std::optional<std::string> CaseStore::verificationHash(const std::string& caseNumber)
{
    std::lock_guard lock(mutex_);
    auto stmt = db_.prepare("SELECT verification_hash FROM cases WHERE case_number = ?");
    stmt.bind(1, caseNumber);
    if (!stmt.step()) return std::nullopt;
    return stmt.columnText(0);
}

std::optional<CaseView> CaseStore::findLocked(const std::string& caseNumber)
{
    auto stmt
        = db_.prepare("SELECT status, status_at, received_at, kiosk_id, initial_report_due,"
                      " result_report_due, result_extensions FROM cases WHERE case_number = ?");
    stmt.bind(1, caseNumber);
    if (!stmt.step()) return std::nullopt;
    CaseView view { caseNumber, stmt.columnText(0), stmt.columnText(1), stmt.columnText(2),
        stmt.columnText(3), stmt.columnText(4), stmt.columnText(5),
        static_cast<int>(stmt.columnInt(6)), {} };
    auto events
        = db_.prepare("SELECT status, at FROM case_events WHERE case_number = ? ORDER BY rowid");
    events.bind(1, caseNumber);
    while (events.step())
        view.history.push_back({ events.columnText(0), events.columnText(1) });
    return view;
}

std::optional<CaseView> CaseStore::find(const std::string& caseNumber)
{
    std::lock_guard lock(mutex_);
    return findLocked(caseNumber);
}

CaseView CaseStore::advance(const std::string& caseNumber, const std::optional<std::string>& to,
    std::chrono::system_clock::time_point now)
{
    std::lock_guard lock(mutex_);
    network::sqlite::Transaction tx(db_);
    const std::string next = nextCaseState(findLocked(caseNumber), caseNumber, to);
    const std::string at = utcTimestamp(now);
    db_.prepare("UPDATE cases SET status = ?, status_at = ? WHERE case_number = ?")
        .bind(1, next)
        .bind(2, at)
        .bind(3, caseNumber)
        .run();
    db_.prepare("INSERT INTO case_events (case_number, status, at) VALUES (?, ?, ?)")
        .bind(1, caseNumber)
        .bind(2, next)
        .bind(3, at)
        .run();
    tx.commit();
    return *findLocked(caseNumber);
}

CaseView CaseStore::extend(const std::string& caseNumber, const WorkflowRules& rules,
    std::chrono::system_clock::time_point now)
{
    std::lock_guard lock(mutex_);
    network::sqlite::Transaction tx(db_);
    const std::string due = extendedResultDue(findLocked(caseNumber), caseNumber, rules);
    db_.prepare("UPDATE cases SET result_report_due = ?, result_extensions = result_extensions + 1"
                " WHERE case_number = ?")
        .bind(1, due)
        .bind(2, caseNumber)
        .run();
    db_.prepare("INSERT INTO case_events (case_number, status, at) VALUES (?, 'extended', ?)")
        .bind(1, caseNumber)
        .bind(2, utcTimestamp(now))
        .run();
    tx.commit();
    return *findLocked(caseNumber);
}

void CaseStore::listCases(std::ostream& out)
{
    std::lock_guard lock(mutex_);
    auto stmt = db_.prepare("SELECT case_number, received_at, kiosk_id, idempotency_key, status"
                            " FROM cases ORDER BY rowid");
    while (stmt.step()) {
        const nlohmann::json line { { "caseNumber", stmt.columnText(0) },
            { "receivedAt", stmt.columnText(1) }, { "kioskId", stmt.columnText(2) },
            { "idempotencyKey", stmt.columnText(3) }, { "status", stmt.columnText(4) } };
        out << line.dump() << '\n';
    }
}

void CaseStore::recordHeartbeat(const std::string& kioskId,
    const network::protocol::Heartbeat& heartbeat, std::chrono::system_clock::time_point now)
{
    std::lock_guard lock(mutex_);
    db_.prepare("INSERT OR REPLACE INTO kiosk_heartbeats (kiosk_id, received_at, body)"
                " VALUES (?, ?, ?)")
        .bind(1, kioskId)
        .bind(2, utcTimestamp(now))
        .bind(3, network::protocol::heartbeatBody(heartbeat))
        .run();
}

void CaseStore::listKiosks(std::ostream& out)
{
    std::lock_guard lock(mutex_);
    auto stmt
        = db_.prepare("SELECT kiosk_id, received_at, body FROM kiosk_heartbeats ORDER BY kiosk_id");
    while (stmt.step()) {
        auto line = nlohmann::json::parse(stmt.columnText(2));
        line["kioskId"] = stmt.columnText(0);
        line["receivedAt"] = stmt.columnText(1);
        out << line.dump() << '\n';
    }
}

nlohmann::json toJson(const CaseView& c)
{
    nlohmann::json history = nlohmann::json::array();
    for (const auto& h : c.history)
        history.push_back({ { "status", h.status }, { "at", h.at } });
    const auto state = caseStateIndex(c.status);
    return { { "caseNumber", c.caseNumber }, { "status", c.status },
        { "statusText", state ? std::string(caseStates()[*state].text) : std::string() },
        { "statusAt", c.statusAt }, { "receivedAt", c.receivedAt }, { "kioskId", c.kioskId },
        { "initialReportDue", c.initialReportDue }, { "resultReportDue", c.resultReportDue },
        { "resultExtensions", c.resultExtensions }, { "history", history } };
}

std::string rocDate(std::chrono::system_clock::time_point t)
{
    using namespace std::chrono;
    const year_month_day ymd { floor<days>(t + hours(8)) };
    char text[16];
    std::snprintf(text, sizeof text, "%03d%02u%02u", static_cast<int>(ymd.year()) - 1911,
        static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
    return text;
}

std::string utcTimestamp(std::chrono::system_clock::time_point t)
{
    const std::time_t seconds = std::chrono::system_clock::to_time_t(t);
    std::tm tm {};
    gmtime_r(&seconds, &tm);
    char text[32];
    std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return text;
}

} // namespace shensu::central
