// Case-number leases in the case register (ARCHITECTURE §5.7): every SQL statement about leases is
// here, apart from the rest of CaseStore, so another storage back end can port them as one piece.
//
// Tables: case_leases (one row per signed block: kiosk, times, the signed body as sent) and
// leased_numbers (one row per number: which lease). A number is used when a case has it; numbers
// come from case_sequence like central's own, so no number is ever issued twice, across kiosks
// and restarts alike.
#include "case_store.hpp"
#include "registration.hpp"

#include <network/outbox.hpp>

#include <thread>

namespace shensu::central
{

namespace
{
    std::int64_t unixSeconds(std::chrono::system_clock::time_point t)
    {
        return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
    }
} // namespace

std::string leaseTimeNote(std::chrono::system_clock::time_point takenAt,
    std::chrono::system_clock::time_point issued, std::chrono::system_clock::time_point expires,
    std::chrono::system_clock::time_point receivedAt, std::chrono::hours deliveryGrace)
{
    if (takenAt < issued - network::LEASE_CLOCK_SKEW)
        return "taken before its lease was issued (the kiosk's clock is behind)";
    if (takenAt >= expires) return "taken after its lease expired";
    if (receivedAt >= expires + deliveryGrace) return "arrived long after its lease expired";
    return {};
}

bool CaseStore::leaseTablesExist()
{
    auto stmt = db_.prepare("SELECT count(*) FROM sqlite_master WHERE name = 'leased_numbers'");
    stmt.step();
    return stmt.columnInt(0) != 0;
}

void CaseStore::createLeaseTables()
{
    db_.exec("CREATE TABLE IF NOT EXISTS case_leases ("
             " lease_id TEXT PRIMARY KEY,"
             " kiosk_id TEXT NOT NULL,"
             " issued_at INTEGER NOT NULL," // Unix seconds
             " expires_at INTEGER NOT NULL,"
             " signed_body TEXT NOT NULL)"); // the signed lease as sent (no secret in it)
    db_.exec("CREATE INDEX IF NOT EXISTS case_leases_kiosk ON case_leases (kiosk_id, expires_at)");
    db_.exec("CREATE TABLE IF NOT EXISTS leased_numbers ("
             " case_number TEXT PRIMARY KEY,"
             " lease_id TEXT NOT NULL REFERENCES case_leases(lease_id))");
}

CaseStore::LeaseAnswer CaseStore::leaseCaseNumbers(const std::string& kioskId,
    const LeasePolicy& policy, std::chrono::system_clock::time_point now,
    const std::function<std::string(const network::CaseLease&)>& sign)
{
    std::lock_guard lock(mutex_);
    network::sqlite::Transaction tx(db_);
    const auto nowSeconds = unixSeconds(now);
    auto unused = db_.prepare("SELECT count(*) FROM leased_numbers n JOIN case_leases l"
                              " USING (lease_id) WHERE l.kiosk_id = ? AND l.expires_at > ?"
                              " AND NOT EXISTS (SELECT 1 FROM cases c"
                              " WHERE c.case_number = n.case_number)");
    unused.bind(1, kioskId).bind(2, nowSeconds).step();
    if (policy.countedDelay.count() > 0) std::this_thread::sleep_for(policy.countedDelay);
    if (unused.columnInt(0) >= policy.refillBelow) {
        auto newest
            = db_.prepare("SELECT signed_body FROM case_leases WHERE kiosk_id = ?"
                          " AND expires_at > ? ORDER BY issued_at DESC, rowid DESC LIMIT 1");
        newest.bind(1, kioskId).bind(2, nowSeconds);
        if (newest.step()) return { false, newest.columnText(0) };
    }

    const int count = std::max(1, policy.blockSize);
    const std::string day = rocDate(now);
    const std::string first = nextCaseNumberLocked(day, count);
    const std::int64_t firstSequence = std::stoll(first.substr(8));
    network::CaseLease lease { network::newUuid(), kioskId, {}, utcTimestamp(now),
        utcTimestamp(now + policy.lifetime) };
    for (int i = 0; i < count; ++i)
        lease.numbers.push_back(caseNumber(day, firstSequence + i));
    std::string body = sign(lease);
    db_.prepare("INSERT INTO case_leases (lease_id, kiosk_id, issued_at, expires_at, signed_body)"
                " VALUES (?, ?, ?, ?, ?)")
        .bind(1, lease.leaseId)
        .bind(2, kioskId)
        .bind(3, nowSeconds)
        .bind(4, unixSeconds(network::parseLeaseTime(lease.expiresAt)))
        .bind(5, body)
        .run();
    for (const auto& number : lease.numbers)
        db_.prepare("INSERT INTO leased_numbers (case_number, lease_id) VALUES (?, ?)")
            .bind(1, number)
            .bind(2, lease.leaseId)
            .run();
    tx.commit();
    return { true, std::move(body) };
}

std::string CaseStore::checkLeasedLocked(const NewCase& c)
{
    const std::string& number = c.leased->caseNumber;
    auto stmt = db_.prepare("SELECT l.lease_id, l.kiosk_id, l.issued_at, l.expires_at,"
                            " EXISTS (SELECT 1 FROM cases c WHERE c.case_number = n.case_number)"
                            " FROM leased_numbers n JOIN case_leases l USING (lease_id)"
                            " WHERE n.case_number = ?");
    stmt.bind(1, number);
    std::optional<StoredLease> lease;
    if (stmt.step())
        lease = StoredLease { stmt.columnText(0), stmt.columnText(1),
            std::chrono::system_clock::time_point(std::chrono::seconds(stmt.columnInt(2))),
            std::chrono::system_clock::time_point(std::chrono::seconds(stmt.columnInt(3))),
            stmt.columnInt(4) != 0 };
    return checkLeasedNumber(c, lease);
}

void CaseStore::listLeases(std::ostream& out)
{
    std::lock_guard lock(mutex_);
    auto stmt = db_.prepare("SELECT l.lease_id, l.kiosk_id, l.issued_at, l.expires_at,"
                            " (SELECT json_group_array(case_number) FROM leased_numbers n"
                            "  WHERE n.lease_id = l.lease_id),"
                            " (SELECT count(*) FROM leased_numbers n JOIN cases c"
                            "  USING (case_number) WHERE n.lease_id = l.lease_id)"
                            " FROM case_leases l ORDER BY l.rowid");
    while (stmt.step()) {
        const auto at = [&](int column) {
            return utcTimestamp(std::chrono::system_clock::time_point(
                std::chrono::seconds(stmt.columnInt(column))));
        };
        const nlohmann::json line { { "leaseId", stmt.columnText(0) },
            { "kioskId", stmt.columnText(1) }, { "issuedAt", at(2) }, { "expiresAt", at(3) },
            { "numbers", nlohmann::json::parse(stmt.columnText(4)) },
            { "used", stmt.columnInt(5) } };
        out << line.dump() << '\n';
    }
}

} // namespace shensu::central
