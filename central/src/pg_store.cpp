// Central's storage in PostgreSQL (see pg_store.hpp): schema, group commit, workflow moves,
// heartbeats, case-number leases, health-card counters.
#include "pg_store.hpp"

#include "at_rest.hpp"
#include "auth_store.hpp"
#include "case_store.hpp"
#include "registration.hpp"

#include <network/outbox.hpp>

#include <algorithm>
#include <cctype>
#include <condition_variable>
#include <cstdio>
#include <map>
#include <thread>
#include <vector>

#include <openssl/crypto.h>
#include <sys/socket.h>
#include <unistd.h>

namespace shensu::central
{

using network::Bytes;

namespace
{
    // 2: case-number leases (case_leases, leased_numbers).
    constexpr int SCHEMA_VERSION = 2;
    // pg_advisory_xact_lock keys (any constants of ours: "shensu" in ASCII, then a purpose).
    constexpr long long SCHEMA_LOCK = 0x7368656e7375'01;
    constexpr long long REGISTER_LOCK = 0x7368656e7375'02;

    std::int64_t unixSeconds(std::chrono::system_clock::time_point t)
    {
        return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
    }

    std::chrono::system_clock::time_point fromUnixSeconds(std::int64_t seconds)
    {
        return std::chrono::system_clock::time_point(std::chrono::seconds(seconds));
    }

    Bytes bytesOf(const pqxx::field& field)
    {
        const pqxx::binarystring blob(field);
        return Bytes(blob.data(), blob.data() + blob.size());
    }

    pqxx::binarystring blobOf(std::span<const unsigned char> bytes)
    {
        return pqxx::binarystring(bytes.data(), bytes.size());
    }

    // Every commit waits for its WAL flush, whatever the server's default. Through set_variable,
    // which libpqxx sets again when it reconnects (a raw SET would be lost with the session).
    void connected(pqxx::connection& connection)
    {
        connection.set_variable("synchronous_commit", "on");
    }

    // A connection whose session died (server restart, pg_terminate_backend, a network cut
    // noticed by the keepalives): a new session, with the variables of set_variable set again
    // and the prepared statements prepared again on first use.
    void reopen(pqxx::connection& connection)
    {
        connection.disconnect();
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
        connection.activate(); // libpqxx 6 has no other way to reconnect a connection
#pragma GCC diagnostic pop
    }

    // Shuts down the socket of a PostgreSQL call that has had no answer by its deadline: a peer
    // that went silent without closing (a half-open connection through a stuck middlebox, whose
    // kernel still acknowledges our bytes and keepalives) fails the call with
    // pqxx::broken_connection (answered 503, the next call reconnects) instead of hanging it, and
    // with it the fleet's REGISTER_LOCK. It shuts down a dup() of the socket: if libpq closes its
    // descriptor meanwhile, the number cannot be reused under us.
    class Watchdog
    {
    public:
        static Watchdog& instance()
        {
            static Watchdog watchdog;
            return watchdog;
        }
        std::uint64_t arm(int fd, std::chrono::steady_clock::time_point deadline)
        {
            const int copy = ::dup(fd);
            if (copy < 0) return 0;
            std::lock_guard lock(mutex_);
            armed_[++next_] = { copy, deadline };
            changed_.notify_all();
            return next_;
        }
        void disarm(std::uint64_t id)
        {
            std::lock_guard lock(mutex_);
            if (const auto it = armed_.find(id); it != armed_.end()) {
                ::close(it->second.fd);
                armed_.erase(it);
            }
        }

    private:
        struct Armed {
            int fd;
            std::chrono::steady_clock::time_point deadline;
        };
        Watchdog()
            : thread_([this] { run(); })
        { }
        ~Watchdog()
        {
            {
                std::lock_guard lock(mutex_);
                stopping_ = true;
                changed_.notify_all();
            }
            thread_.join();
        }
        void run()
        {
            std::unique_lock lock(mutex_);
            while (!stopping_) {
                auto next = std::chrono::steady_clock::time_point::max();
                const auto now = std::chrono::steady_clock::now();
                for (auto& [id, armed] : armed_) {
                    if (armed.deadline <= now) {
                        ::shutdown(armed.fd, SHUT_RDWR);
                        armed.deadline = std::chrono::steady_clock::time_point::max();
                    }
                    next = std::min(next, armed.deadline);
                }
                if (next == std::chrono::steady_clock::time_point::max())
                    changed_.wait(lock);
                else
                    changed_.wait_until(lock, next);
            }
        }
        std::mutex mutex_;
        std::condition_variable changed_;
        std::map<std::uint64_t, Armed> armed_;
        std::uint64_t next_ = 0;
        bool stopping_ = false;
        std::thread thread_;
    };

    // The deadline of the calls made on connection while it lives.
    class Deadline
    {
    public:
        Deadline(const pqxx::connection& connection, std::chrono::milliseconds limit)
        {
            if (connection.sock() >= 0 && limit.count() > 0)
                id_ = Watchdog::instance().arm(
                    connection.sock(), std::chrono::steady_clock::now() + limit);
        }
        ~Deadline()
        {
            if (id_ != 0) Watchdog::instance().disarm(id_);
        }
        Deadline(const Deadline&) = delete;
        Deadline& operator=(const Deadline&) = delete;

    private:
        std::uint64_t id_ = 0;
    };

    // The connection, reopened if it was found broken, with a deadline for what follows.
    [[nodiscard]] Deadline session(pqxx::connection& connection, std::chrono::milliseconds limit)
    {
        if (!connection.is_open()) reopen(connection);
        return Deadline(connection, limit);
    }

    // How long a call may go without an answer: the URI's tcp_user_timeout (pgConnectionUri sets
    // 15 s unless the URI has its own), also the limit for unacknowledged data.
    std::chrono::milliseconds answerLimit(const std::string& uri)
    {
        const std::string full = pgConnectionUri(uri);
        for (const std::string key : { "?tcp_user_timeout=", "&tcp_user_timeout=" })
            if (const auto at = full.find(key); at != std::string::npos)
                return std::chrono::milliseconds(std::atoll(full.c_str() + at + key.size()));
        return std::chrono::milliseconds(0);
    }

    // Runs work on connection; a connection found broken before or during it is reopened and the
    // work run once more (a broken connection rolls back the open transaction server-side; an
    // in-doubt commit is pqxx::in_doubt_error, not retried). Each run has the deadline limit.
    template<class Work>
    auto withSession(pqxx::connection& connection, std::chrono::milliseconds limit, Work&& work)
    {
        if (!connection.is_open()) reopen(connection);
        try {
            const Deadline deadline(connection, limit);
            return work();
        } catch (const pqxx::broken_connection&) {
            reopen(connection);
            const Deadline deadline(connection, limit);
            return work();
        }
    }

    // Percent-encoding of a URI query value (RFC 3986 unreserved characters kept).
    std::string uriEncoded(const std::string& value)
    {
        std::string out;
        for (const char ch : value) {
            const auto c = static_cast<unsigned char>(ch);
            if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
                out += static_cast<char>(c);
            } else {
                char hex[4];
                std::snprintf(hex, sizeof hex, "%%%02X", c);
                out += hex;
            }
        }
        return out;
    }

    // The statements of a filing, prepared once per connection (parsed and planned once).
    void prepareFiling(pqxx::connection& connection)
    {
        connection.prepare("find_submission",
            "SELECT c.envelope_sha256, r.signer, r.sealed_body FROM cases c"
            " LEFT JOIN receipts r USING (idempotency_key) WHERE c.idempotency_key = $1");
        connection.prepare("store_answer",
            "INSERT INTO receipts (idempotency_key, signer, sealed_body) VALUES ($1, $2, $3)"
            " ON CONFLICT (idempotency_key) DO UPDATE"
            " SET signer = excluded.signer, sealed_body = excluded.sealed_body");
        connection.prepare("next_case_number",
            "INSERT INTO case_sequence (day, last) VALUES ($1, 1)"
            " ON CONFLICT (day) DO UPDATE SET last = case_sequence.last + 1 RETURNING last");
        connection.prepare("leased_number",
            "SELECT l.lease_id, l.kiosk_id, l.issued_at, l.expires_at,"
            " EXISTS (SELECT 1 FROM cases c WHERE c.case_number = n.case_number)"
            " FROM leased_numbers n JOIN case_leases l USING (lease_id) WHERE n.case_number = $1");
        // The case, its first event and its sealed answer in one round trip.
        connection.prepare("register_case",
            "WITH c AS (INSERT INTO cases (case_number, verification_hash, idempotency_key,"
            " envelope_sha256, envelope, kiosk_id, received_at, status, status_at,"
            " initial_report_due, result_report_due)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, 'received', $7, $8, $9) RETURNING case_number),"
            " e AS (INSERT INTO case_events (case_number, status, at)"
            " SELECT case_number, 'received', $7 FROM c)"
            " INSERT INTO receipts (idempotency_key, signer, sealed_body) VALUES ($3, $10, $11)");
        connection.prepare(
            "verification_hash", "SELECT verification_hash FROM cases WHERE case_number = $1");
    }
} // namespace

std::string pgConnectionUri(const std::string& uri)
{
    // A dead peer or a half-open TCP connection is noticed within ~25 s (keepalives after 10 s
    // idle, 3 probes 5 s apart; unacknowledged data after 15 s) instead of hanging a writer, and
    // with it the fleet's REGISTER_LOCK, for the kernel's two hours. No statement waits on a lock
    // more than 5 s or runs more than 15 s; a session idle in a transaction is ended after 30 s.
    // (keepalives and tcp_user_timeout do not apply to a unix socket.) The caller's own query
    // parameters are kept and win: ours are only added where the URI does not set them, and the
    // caller's options come after ours (a later -c wins).
    static const std::pair<const char*, const char*> settings[] = { { "keepalives", "1" },
        { "keepalives_idle", "10" }, { "keepalives_interval", "5" }, { "keepalives_count", "3" },
        { "tcp_user_timeout", "15000" }, { "connect_timeout", "10" } };
    const std::string options
        = "-c lock_timeout=5s -c statement_timeout=15s -c idle_in_transaction_session_timeout=30s";
    std::string base = uri;
    std::string fragment;
    if (const auto hash = base.find('#'); hash != std::string::npos) {
        fragment = base.substr(hash);
        base.resize(hash);
    }
    const auto question = base.find('?');
    std::vector<std::string> params;
    if (question != std::string::npos) {
        const std::string query = base.substr(question + 1);
        base.resize(question);
        std::size_t start = 0;
        while (start <= query.size()) {
            const auto amp = query.find('&', start);
            const auto end = amp == std::string::npos ? query.size() : amp;
            if (end > start) params.push_back(query.substr(start, end - start));
            start = end + 1;
        }
    }
    auto keyOf = [](const std::string& param) { return param.substr(0, param.find('=')); };
    bool hadOptions = false;
    for (auto& param : params)
        if (keyOf(param) == "options") {
            const auto eq = param.find('=');
            const std::string theirs = eq == std::string::npos ? "" : param.substr(eq + 1);
            param = "options=" + uriEncoded(options) + (theirs.empty() ? "" : "%20" + theirs);
            hadOptions = true;
        }
    if (!hadOptions) params.push_back("options=" + uriEncoded(options));
    for (const auto& [key, value] : settings) {
        const bool given = std::any_of(
            params.begin(), params.end(), [&](const auto& p) { return keyOf(p) == key; });
        if (!given) params.push_back(std::string(key) + "=" + value);
    }
    std::string out = base;
    for (std::size_t i = 0; i < params.size(); ++i)
        out += (i == 0 ? "?" : "&") + params[i];
    return out + fragment;
}

void ensurePgSchema(pqxx::connection& connection, bool create)
{
    pqxx::work tx(connection);
    tx.exec("SELECT pg_advisory_xact_lock(" + std::to_string(SCHEMA_LOCK) + ")");
    const auto exists = tx.exec1("SELECT to_regclass('shensu_schema') IS NOT NULL");
    if (exists[0].as<bool>()) {
        const auto found = tx.exec("SELECT version FROM shensu_schema WHERE part = 'central'");
        const int version = found.empty() ? 0 : found[0][0].as<int>();
        if (version != SCHEMA_VERSION)
            throw std::runtime_error("the PostgreSQL database has central schema "
                + std::to_string(version) + ", expected " + std::to_string(SCHEMA_VERSION)
                + " (no migration: start a new one)");
        return;
    }
    if (!create) throw std::runtime_error("no case register in this PostgreSQL database");
    tx.exec0("CREATE TABLE shensu_schema (part TEXT PRIMARY KEY, version INTEGER NOT NULL)");
    // As in SQLite (case_store.cpp); id keeps the order of arrival.
    tx.exec0("CREATE TABLE cases ("
             " id BIGSERIAL UNIQUE,"
             " case_number TEXT PRIMARY KEY,"
             " verification_hash TEXT NOT NULL," // scrypt$N$r$p$salt$hash (verification.hpp)
             " idempotency_key TEXT NOT NULL UNIQUE,"
             " envelope_sha256 TEXT NOT NULL,"
             " envelope BYTEA NOT NULL,"
             " kiosk_id TEXT NOT NULL,"
             " received_at TEXT NOT NULL,"
             " status TEXT NOT NULL,"
             " status_at TEXT NOT NULL,"
             " initial_report_due TEXT NOT NULL,"
             " result_report_due TEXT NOT NULL,"
             " result_extensions INTEGER NOT NULL DEFAULT 0)");
    tx.exec0("CREATE TABLE case_sequence (day TEXT PRIMARY KEY, last BIGINT NOT NULL)");
    tx.exec0("CREATE TABLE case_events ("
             " id BIGSERIAL PRIMARY KEY,"
             " case_number TEXT NOT NULL REFERENCES cases(case_number),"
             " status TEXT NOT NULL,"
             " at TEXT NOT NULL)");
    tx.exec0("CREATE INDEX case_events_case ON case_events (case_number, id)");
    tx.exec0("CREATE TABLE receipts ("
             " idempotency_key TEXT PRIMARY KEY,"
             " signer TEXT NOT NULL,"
             " sealed_body BYTEA NOT NULL)");
    tx.exec0("CREATE TABLE kiosk_heartbeats ("
             " kiosk_id TEXT PRIMARY KEY,"
             " received_at TEXT NOT NULL,"
             " body TEXT NOT NULL)");
    tx.exec0("CREATE TABLE nhi_failures ("
             " card TEXT PRIMARY KEY," // HMAC-SHA256 hex of the card number (--nhi-key)
             " failures INTEGER NOT NULL)");
    // Case-number leases, as in SQLite (case_lease_store.cpp): one row per signed block, one per
    // number; a number is used when a case has it. id keeps the order of issue.
    tx.exec0("CREATE TABLE case_leases ("
             " id BIGSERIAL UNIQUE,"
             " lease_id TEXT PRIMARY KEY,"
             " kiosk_id TEXT NOT NULL,"
             " issued_at BIGINT NOT NULL," // Unix seconds
             " expires_at BIGINT NOT NULL,"
             " signed_body TEXT NOT NULL)"); // the signed lease as sent (no secret in it)
    tx.exec0("CREATE INDEX case_leases_kiosk ON case_leases (kiosk_id, expires_at)");
    tx.exec0("CREATE TABLE leased_numbers ("
             " case_number TEXT PRIMARY KEY,"
             " lease_id TEXT NOT NULL REFERENCES case_leases(lease_id))");
    tx.exec0("CREATE INDEX leased_numbers_lease ON leased_numbers (lease_id)");
    tx.exec0("INSERT INTO shensu_schema (part, version) VALUES ('central', "
        + std::to_string(SCHEMA_VERSION) + ")");
    tx.commit();
}

// --- the case register ---------------------------------------------------------------------------

PgCaseStore::PgCaseStore(const std::string& uri, ReceiptSigning signing, bool create)
    : writer_(pgConnectionUri(uri))
    , reader_(pgConnectionUri(uri))
    , answerLimit_(answerLimit(uri))
    , signing_(std::move(signing))
{
    connected(writer_);
    connected(reader_);
    ensurePgSchema(writer_, create);
    prepareFiling(writer_);
    prepareFiling(reader_);
}

PgCaseStore::~PgCaseStore()
{
    cleanseAtRestKeys(signing_);
}

std::string PgCaseStore::storeAnswer(pqxx::transaction_base& tx, const SubmissionReceipt& receipt)
{
    std::string body = signing_.sign(receipt);
    const Bytes sealed = sealAtRest(signing_.atRestKey, body, receipt.idempotencyKey);
    tx.exec_prepared0("store_answer", receipt.idempotencyKey, signing_.signerId, blobOf(sealed));
    return body;
}

PgCaseStore::Lookup PgCaseStore::findIn(pqxx::transaction_base& tx,
    const std::string& idempotencyKey, const std::string& envelopeSha256)
{
    const auto rows = tx.exec_prepared("find_submission", idempotencyKey);
    if (rows.empty()) return {};
    const auto row = rows[0];
    if (row[0].as<std::string>() != envelopeSha256) return { Replay::OTHER_BODY, {} };
    if (row[1].is_null())
        throw std::runtime_error(
            "a case exists for a replayed submission but its stored answer is missing");
    auto answer
        = openReplayedAnswer(signing_, bytesOf(row[2]), row[1].as<std::string>(), idempotencyKey);
    if (answer.resealed)
        tx.exec_params0("UPDATE receipts SET sealed_body = $1 WHERE idempotency_key = $2",
            blobOf(*answer.resealed), idempotencyKey);
    if (answer.signAgain) return { Replay::SAME_BODY, storeAnswer(tx, *answer.signAgain) };
    return { Replay::SAME_BODY, std::move(answer.body) };
}

PgCaseStore::Lookup PgCaseStore::findSubmission(
    const std::string& idempotencyKey, const std::string& envelopeSha256)
{
    std::lock_guard lock(readerMutex_);
    return withSession(reader_, answerLimit_, [&] {
        pqxx::work tx(reader_);
        auto found = findIn(tx, idempotencyKey, envelopeSha256);
        tx.commit();
        return found;
    });
}

PgCaseStore::Lookup PgCaseStore::registerCase(
    const NewCase& c, const WorkflowRules& rules, SubmissionReceipt& created)
{
    return group_.registerCase(
        c, rules, created, [this](const GroupCommit::Batch& batch) { commitBatch(batch); });
}

void PgCaseStore::commitBatch(const GroupCommit::Batch& batch)
{
    std::lock_guard lock(writerMutex_);
    try {
        withSession(writer_, answerLimit_, [&] {
            pqxx::work tx(writer_);
            tx.exec("SELECT pg_advisory_xact_lock(" + std::to_string(REGISTER_LOCK) + ")");
            for (auto* r : batch) {
                r->error = nullptr;
                try {
                    pqxx::subtransaction registration(tx, "registration");
                    r->result = registerIn(registration, *r->newCase, *r->rules, r->created);
                    registration.commit();
                } catch (const pqxx::broken_connection&) {
                    throw; // the whole batch again, on a new session
                } catch (...) {
                    r->error = std::current_exception(); // its savepoint is rolled back
                }
            }
            tx.commit();
        });
    } catch (...) {
        for (auto* r : batch)
            r->error = std::current_exception(); // nothing of the batch was committed
    }
}

PgCaseStore::Lookup PgCaseStore::registerIn(pqxx::transaction_base& tx, const NewCase& c,
    const WorkflowRules& rules, SubmissionReceipt& created)
{
    if (auto existing = findIn(tx, c.idempotencyKey, c.envelopeSha256);
        existing.replay != Replay::NONE)
        return existing;

    std::string number, leaseNote;
    if (c.leased) {
        leaseNote = checkLeased(tx, c);
        number = c.leased->caseNumber;
    } else {
        const std::string day = rocDate(c.receivedAt);
        number = caseNumber(day, tx.exec_prepared1("next_case_number", day)[0].as<long long>());
    }

    created = newCaseReceipt(c, number, rules);
    // Signed before the insert: the answer goes in with the case, in one statement.
    std::string body = signing_.sign(created);
    const Bytes sealed = sealAtRest(signing_.atRestKey, body, c.idempotencyKey);
    tx.exec_prepared0("register_case", created.caseNumber, c.verificationHash, c.idempotencyKey,
        c.envelopeSha256, blobOf(c.envelope), c.kioskId, created.receivedAt,
        created.initialReportDue, created.resultReportDue, signing_.signerId, blobOf(sealed));
    return { Replay::NONE, std::move(body), std::move(leaseNote) };
}

std::optional<std::string> PgCaseStore::verificationHash(const std::string& caseNumber)
{
    std::lock_guard lock(readerMutex_);
    const auto deadline = session(reader_, answerLimit_);
    pqxx::read_transaction tx(reader_);
    const auto rows = tx.exec_prepared("verification_hash", caseNumber);
    if (rows.empty()) return std::nullopt;
    return rows[0][0].as<std::string>();
}

std::optional<CaseView> PgCaseStore::findIn(
    pqxx::transaction_base& tx, const std::string& caseNumber)
{
    const auto rows
        = tx.exec_params("SELECT status, status_at, received_at, kiosk_id, initial_report_due,"
                         " result_report_due, result_extensions FROM cases WHERE case_number = $1",
            caseNumber);
    if (rows.empty()) return std::nullopt;
    const auto row = rows[0];
    CaseView view { caseNumber, row[0].as<std::string>(), row[1].as<std::string>(),
        row[2].as<std::string>(), row[3].as<std::string>(), row[4].as<std::string>(),
        row[5].as<std::string>(), row[6].as<int>(), {} };
    for (const auto& event : tx.exec_params(
             "SELECT status, at FROM case_events WHERE case_number = $1 ORDER BY id", caseNumber))
        view.history.push_back({ event[0].as<std::string>(), event[1].as<std::string>() });
    return view;
}

std::optional<CaseView> PgCaseStore::find(const std::string& caseNumber)
{
    std::lock_guard lock(readerMutex_);
    const auto deadline = session(reader_, answerLimit_);
    pqxx::read_transaction tx(reader_);
    return findIn(tx, caseNumber);
}

CaseView PgCaseStore::advance(const std::string& caseNumber, const std::optional<std::string>& to,
    std::chrono::system_clock::time_point now)
{
    std::lock_guard lock(writerMutex_);
    const auto deadline = session(writer_, answerLimit_);
    pqxx::work tx(writer_);
    // The row stays locked until commit: two administrators moving one case do not both win.
    tx.exec_params("SELECT 1 FROM cases WHERE case_number = $1 FOR UPDATE", caseNumber);
    const std::string next = nextCaseState(findIn(tx, caseNumber), caseNumber, to);
    const std::string at = utcTimestamp(now);
    tx.exec_params0("UPDATE cases SET status = $1, status_at = $2 WHERE case_number = $3", next, at,
        caseNumber);
    tx.exec_params0("INSERT INTO case_events (case_number, status, at) VALUES ($1, $2, $3)",
        caseNumber, next, at);
    auto view = *findIn(tx, caseNumber);
    tx.commit();
    return view;
}

CaseView PgCaseStore::extend(const std::string& caseNumber, const WorkflowRules& rules,
    std::chrono::system_clock::time_point now)
{
    std::lock_guard lock(writerMutex_);
    const auto deadline = session(writer_, answerLimit_);
    pqxx::work tx(writer_);
    tx.exec_params("SELECT 1 FROM cases WHERE case_number = $1 FOR UPDATE", caseNumber);
    tx.exec_params0("UPDATE cases SET result_report_due = $1,"
                    " result_extensions = result_extensions + 1 WHERE case_number = $2",
        extendedResultDue(findIn(tx, caseNumber), caseNumber, rules), caseNumber);
    tx.exec_params0("INSERT INTO case_events (case_number, status, at) VALUES ($1, 'extended', $2)",
        caseNumber, utcTimestamp(now));
    auto view = *findIn(tx, caseNumber);
    tx.commit();
    return view;
}

void PgCaseStore::listCases(std::ostream& out)
{
    std::lock_guard lock(readerMutex_);
    const auto deadline = session(reader_, answerLimit_);
    pqxx::read_transaction tx(reader_);
    for (const auto& row : tx.exec("SELECT case_number, received_at, kiosk_id, idempotency_key,"
                                   " status FROM cases ORDER BY id")) {
        const nlohmann::json line { { "caseNumber", row[0].as<std::string>() },
            { "receivedAt", row[1].as<std::string>() }, { "kioskId", row[2].as<std::string>() },
            { "idempotencyKey", row[3].as<std::string>() },
            { "status", row[4].as<std::string>() } };
        out << line.dump() << '\n';
    }
}

void PgCaseStore::recordHeartbeat(const std::string& kioskId,
    const network::protocol::Heartbeat& heartbeat, std::chrono::system_clock::time_point now)
{
    std::lock_guard lock(writerMutex_);
    const auto deadline = session(writer_, answerLimit_);
    pqxx::work tx(writer_);
    tx.exec_params0("INSERT INTO kiosk_heartbeats (kiosk_id, received_at, body) VALUES ($1, $2, $3)"
                    " ON CONFLICT (kiosk_id) DO UPDATE"
                    " SET received_at = excluded.received_at, body = excluded.body",
        kioskId, utcTimestamp(now), network::protocol::heartbeatBody(heartbeat));
    tx.commit();
}

// --- case-number leases (as case_lease_store.cpp does in SQLite) --------------------------------

PgCaseStore::LeaseAnswer PgCaseStore::leaseCaseNumbers(const std::string& kioskId,
    const LeasePolicy& policy, std::chrono::system_clock::time_point now,
    const std::function<std::string(const network::CaseLease&)>& sign)
{
    std::lock_guard lock(writerMutex_);
    pqxx::work tx(writer_);
    // The registrations' lock: a lease and a registration (here or on another central) do not
    // interleave, so the count of unused numbers is exact and two requests of one kiosk to two
    // centrals cannot both get a new block past the refill rule.
    tx.exec("SELECT pg_advisory_xact_lock(" + std::to_string(REGISTER_LOCK) + ")");
    const auto nowSeconds = unixSeconds(now);
    const auto unused = tx.exec_params1(
        "SELECT count(*) FROM leased_numbers n JOIN case_leases l USING (lease_id)"
        " WHERE l.kiosk_id = $1 AND l.expires_at > $2"
        " AND NOT EXISTS (SELECT 1 FROM cases c WHERE c.case_number = n.case_number)",
        kioskId, nowSeconds);
    if (policy.countedDelay.count() > 0) std::this_thread::sleep_for(policy.countedDelay);
    if (unused[0].as<long long>() >= policy.refillBelow) {
        const auto newest = tx.exec_params("SELECT signed_body FROM case_leases"
                                           " WHERE kiosk_id = $1 AND expires_at > $2"
                                           " ORDER BY issued_at DESC, id DESC LIMIT 1",
            kioskId, nowSeconds);
        if (!newest.empty()) {
            tx.commit();
            return { false, newest[0][0].as<std::string>() };
        }
    }

    const int count = std::max(1, policy.blockSize);
    const std::string day = rocDate(now);
    // The block from the day's sequence, as central's own numbers: never issued twice.
    const auto last
        = tx.exec_params1("INSERT INTO case_sequence (day, last) VALUES ($1, $2) ON CONFLICT (day)"
                          " DO UPDATE SET last = case_sequence.last + excluded.last RETURNING last",
                day, count)[0]
              .as<long long>();
    network::CaseLease lease { network::newUuid(), kioskId, {}, utcTimestamp(now),
        utcTimestamp(now + policy.lifetime) };
    for (long long sequence = last - count + 1; sequence <= last; ++sequence)
        lease.numbers.push_back(caseNumber(day, sequence));
    std::string body = sign(lease);
    tx.exec_params0("INSERT INTO case_leases (lease_id, kiosk_id, issued_at, expires_at,"
                    " signed_body) VALUES ($1, $2, $3, $4, $5)",
        lease.leaseId, kioskId, nowSeconds, unixSeconds(network::parseLeaseTime(lease.expiresAt)),
        body);
    // All the numbers in one statement, as an array literal (each is digits and '-' only).
    std::string numbers = "{";
    for (const auto& number : lease.numbers)
        numbers += (numbers.size() > 1 ? "," : "") + number;
    numbers += '}';
    tx.exec_params0("INSERT INTO leased_numbers (case_number, lease_id)"
                    " SELECT unnest($1::text[]), $2",
        numbers, lease.leaseId);
    tx.commit(); // synchronous: the block is on disk before the kiosk sees it
    return { true, std::move(body) };
}

std::string PgCaseStore::checkLeased(pqxx::transaction_base& tx, const NewCase& c)
{
    const auto rows = tx.exec_prepared("leased_number", c.leased->caseNumber);
    std::optional<StoredLease> lease;
    if (!rows.empty())
        lease = StoredLease { rows[0][0].as<std::string>(), rows[0][1].as<std::string>(),
            fromUnixSeconds(rows[0][2].as<std::int64_t>()),
            fromUnixSeconds(rows[0][3].as<std::int64_t>()), rows[0][4].as<bool>() };
    return checkLeasedNumber(c, lease);
}

void PgCaseStore::listLeases(std::ostream& out)
{
    std::lock_guard lock(readerMutex_);
    pqxx::read_transaction tx(reader_);
    for (const auto& row :
        tx.exec("SELECT l.lease_id, l.kiosk_id, l.issued_at, l.expires_at,"
                " (SELECT json_agg(n.case_number ORDER BY n.case_number COLLATE \"C\")"
                "  FROM leased_numbers n WHERE n.lease_id = l.lease_id),"
                " (SELECT count(*) FROM leased_numbers n JOIN cases c USING (case_number)"
                "  WHERE n.lease_id = l.lease_id)"
                " FROM case_leases l ORDER BY l.id")) {
        const auto at = [&](int column) {
            return utcTimestamp(fromUnixSeconds(row[column].as<std::int64_t>()));
        };
        const nlohmann::json line { { "leaseId", row[0].as<std::string>() },
            { "kioskId", row[1].as<std::string>() }, { "issuedAt", at(2) }, { "expiresAt", at(3) },
            { "numbers",
                row[4].is_null() ? nlohmann::json::array()
                                 : nlohmann::json::parse(row[4].as<std::string>()) },
            { "used", row[5].as<long long>() } };
        out << line.dump() << '\n';
    }
}

void PgCaseStore::listKiosks(std::ostream& out)
{
    std::lock_guard lock(readerMutex_);
    const auto deadline = session(reader_, answerLimit_);
    pqxx::read_transaction tx(reader_);
    for (const auto& row : tx.exec("SELECT kiosk_id, received_at, body FROM kiosk_heartbeats"
                                   " ORDER BY kiosk_id COLLATE \"C\"")) {
        auto line = nlohmann::json::parse(row[2].as<std::string>());
        line["kioskId"] = row[0].as<std::string>();
        line["receivedAt"] = row[1].as<std::string>();
        out << line.dump() << '\n';
    }
}

// --- health-card counters ------------------------------------------------------------------------

PgNhiCounter::PgNhiCounter(const std::string& uri, const std::filesystem::path& keyFile)
    : connection_(pgConnectionUri(uri))
    , answerLimit_(answerLimit(uri))
{
    connected(connection_);
    ensurePgSchema(connection_, true);
    {
        // The key's check value, HMAC-SHA256(key, "shensu-nhi-key-check"): centrals of a fleet
        // with different key files would count one card under two keys (each lock-out apart).
        pqxx::work tx(connection_);
        tx.exec("SELECT pg_advisory_xact_lock(" + std::to_string(SCHEMA_LOCK) + ")");
        tx.exec0("CREATE TABLE IF NOT EXISTS nhi_key_check ("
                 " id BOOLEAN PRIMARY KEY DEFAULT true CHECK (id), check_value TEXT NOT NULL)");
        const auto stored = tx.exec("SELECT check_value FROM nhi_key_check");
        auto key = nhiKeyAtStart(keyFile,
            stored.empty() ? std::nullopt
                           : std::optional<std::string>(stored[0][0].as<std::string>()),
            !tx.exec("SELECT 1 FROM nhi_failures LIMIT 1").empty());
        secret_ = std::move(key.secret);
        if (key.storeCheck)
            tx.exec_params0("INSERT INTO nhi_key_check (check_value) VALUES ($1)", key.check);
        tx.commit();
    }
}

PgNhiCounter::~PgNhiCounter()
{
    OPENSSL_cleanse(secret_.data(), secret_.size());
}

std::optional<int> PgNhiCounter::begin(const std::string& cardNumber, int maxFailures)
{
    const std::string key = nhiCardKey(secret_, cardNumber);
    std::lock_guard lock(mutex_);
    const auto deadline = session(connection_, answerLimit_);
    pqxx::work tx(connection_);
    // One statement: the row is locked by the upsert, so attempts on two centrals count in turn.
    const auto rows = tx.exec_params("INSERT INTO nhi_failures AS n (card, failures) VALUES ($1, 1)"
                                     " ON CONFLICT (card) DO UPDATE SET failures = n.failures + 1"
                                     " WHERE n.failures < $2 RETURNING failures",
        key, maxFailures);
    tx.commit();
    if (rows.empty()) return std::nullopt;
    const int count = rows[0][0].as<int>();
    if (count > maxFailures) return std::nullopt; // a new row while maxFailures < 1
    return count;
}

void PgNhiCounter::succeeded(const std::string& cardNumber)
{
    const std::string key = nhiCardKey(secret_, cardNumber);
    std::lock_guard lock(mutex_);
    const auto deadline = session(connection_, answerLimit_);
    pqxx::work tx(connection_);
    tx.exec_params0("DELETE FROM nhi_failures WHERE card = $1", key);
    tx.commit();
}

void PgNhiCounter::cancel(const std::string& cardNumber)
{
    const std::string key = nhiCardKey(secret_, cardNumber);
    std::lock_guard lock(mutex_);
    const auto deadline = session(connection_, answerLimit_);
    pqxx::work tx(connection_);
    tx.exec_params0(
        "UPDATE nhi_failures SET failures = failures - 1 WHERE card = $1 AND failures > 0", key);
    tx.commit();
}

int PgNhiCounter::failures(const std::string& cardNumber)
{
    const std::string key = nhiCardKey(secret_, cardNumber);
    std::lock_guard lock(mutex_);
    const auto deadline = session(connection_, answerLimit_);
    pqxx::read_transaction tx(connection_);
    const auto rows = tx.exec_params("SELECT failures FROM nhi_failures WHERE card = $1", key);
    return rows.empty() ? 0 : rows[0][0].as<int>();
}

// --- choosing ------------------------------------------------------------------------------------

bool isPostgresUri(const std::string& db)
{
    return db.starts_with("postgresql://") || db.starts_with("postgres://");
}

std::unique_ptr<CaseStorage> openCaseStorage(
    const std::string& db, ReceiptSigning signing, bool create)
{
    if (isPostgresUri(db)) return std::make_unique<PgCaseStore>(db, std::move(signing), create);
    if (!create && !std::filesystem::exists(db))
        throw std::runtime_error("no case database at " + db);
    return std::make_unique<CaseStore>(db, std::move(signing));
}

bool storageUnavailable(const std::exception_ptr& error)
{
    try {
        std::rethrow_exception(error);
    } catch (const pqxx::broken_connection&) {
        return true;
    } catch (...) {
        return false;
    }
}

std::unique_ptr<NhiCounterStorage> openNhiCounter(
    const std::string& db, const std::filesystem::path& keyFile)
{
    if (isPostgresUri(db)) return std::make_unique<PgNhiCounter>(db, keyFile);
    return std::make_unique<NhiCounter>(db, keyFile);
}

} // namespace shensu::central
