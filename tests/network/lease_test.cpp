// Case-number leases (ARCHITECTURE §5.7): central's POST /v1/case-numbers/lease against a real
// mutual-TLS central, the refusals of a hostile or confused kiosk's leased numbers, and the kiosk's
// Forwarder taking a leased number while central is down.
#include "support.hpp"

#include <network/case_lease.hpp>
#include <network/outbox.hpp>
#include <network/protocol.hpp>
#include <network/receipt.hpp>
#include <network/seal.hpp>

#include <catch2/catch.hpp>
#include <cstdio>
#include <functional>
#include <future>
#include <set>
#include <thread>

#include <fcntl.h>
#include <unistd.h>

using namespace shensu;
using namespace shensu::testing;
namespace fs = std::filesystem;

namespace
{
const char* const KIOSK_1 = "kiosk-device"; // CN KIOSK-TEST-01
const char* const KIOSK_2 = "kiosk-device-2"; // CN KIOSK-TEST-02

// POSTs bodyFile as the kiosk whose certificate and key are pki/<kiosk>.{pem,key}.
Http postAs(const RunningCentral& central, const std::string& kiosk, const std::string& path,
    const fs::path& bodyFile, const std::vector<std::string>& headers)
{
    return post(central, path, bodyFile, headers, kioskIdentity(kiosk));
}

Http askLease(const RunningCentral& central, const std::string& kiosk, const TempDir& tmp)
{
    writeFile(tmp / "lease-request.json", "{}");
    return postAs(central, kiosk, "/v1/case-numbers/lease", tmp / "lease-request.json",
        { "Content-Type: application/json" });
}

network::CaseLease verifiedLease(const Http& answer, const std::string& kioskId)
{
    const network::LeaseVerifier verifier(pkiDir() / "central-receipt.pem");
    return verifier.verify(answer.raw, kioskId);
}

// A filing carrying `taken`, sealed (signed) by `kiosk` to central.
std::string sealLeased(
    const std::string& kiosk, const network::LeasedNumber& taken, const std::string& marker)
{
    const auto& pki = pkiDir();
    const network::Sealer sealer(
        pki / (kiosk + ".pem"), pki / (kiosk + ".key"), pki / "central-encryption.pem");
    auto filing = syntheticFiling(marker);
    filing[network::FILING_LEASE_KEY] = network::toJson(taken);
    const auto sealed = sealer.seal(network::protocol::canonicalBytes(filing));
    return std::string(sealed.begin(), sealed.end());
}

Http submit(const RunningCentral& central, const std::string& kiosk, const fs::path& file,
    const std::string& envelope, const std::string& key)
{
    writeFile(file, envelope);
    return postAs(central, kiosk, "/v1/submissions", file, { CMS, "Idempotency-Key: " + key });
}

std::string now()
{
    return network::leaseTime(std::chrono::system_clock::now());
}
} // namespace

TEST_CASE("central leases signed blocks of case numbers that verify with the pinned receipt "
          "certificate: bounded per kiosk and durable across a restart with no number issued twice",
    "[lease][storage]")
{
    TempDir tmp;
    std::set<std::string> seen;
    std::string firstBody;
    network::CaseLease first, second;
    {
        RunningCentral central(pkiDir(), tmp / "central.db", "central-server", 0, "central-receipt",
            { "--lease-block", "8", "--lease-refill-below", "4" });
        const auto answer = askLease(central, KIOSK_1, tmp);
        REQUIRE(answer.status == 201);
        first = verifiedLease(answer, "KIOSK-TEST-01");
        CHECK(first.numbers.size() == 8);
        for (const auto& n : first.numbers) {
            CHECK(matchesShape(n, "9999999-9999"));
            CHECK(seen.insert(n).second);
        }
        CHECK(network::parseLeaseTime(first.expiresAt) > network::parseLeaseTime(first.issuedAt));
        firstBody = answer.raw;

        // Issued to kiosk 1: it does not verify as kiosk 2's.
        CHECK_THROWS_AS(verifiedLease(answer, "KIOSK-TEST-02"), network::LeaseError);
        // Tampered: does not verify.
        auto tampered = answer.body;
        auto text = tampered["lease"].template get<std::string>();
        text[text.find("-0") + 4] = text[text.find("-0") + 4] == '9' ? '8' : '9';
        tampered["lease"] = text;
        Http forged = answer;
        forged.raw = tampered.dump();
        CHECK_THROWS_AS(verifiedLease(forged, "KIOSK-TEST-01"), network::LeaseError);

        // Asking again with 8 unused (>= 4): the same lease, not another block.
        const auto again = askLease(central, KIOSK_1, tmp);
        CHECK(again.status == 200);
        CHECK(again.raw == firstBody);

        // Another kiosk: its own block, no number in common.
        const auto other = askLease(central, KIOSK_2, tmp);
        REQUIRE(other.status == 201);
        second = verifiedLease(other, "KIOSK-TEST-02");
        for (const auto& n : second.numbers)
            CHECK(seen.insert(n).second);

        // Central's own numbers come from the same sequence: a plain filing gets none of them.
        writeFile(tmp / "plain.der", sealFiling("plain"));
        const auto plain = postAs(central, KIOSK_1, "/v1/submissions", tmp / "plain.der",
            { CMS, "Idempotency-Key: 6a1d0c55-0000-4000-8000-000000000001" });
        REQUIRE(plain.status == 201);
        const auto receipt = network::protocol::parseSubmissionReceipt(
            network::protocol::parseSignedReceipt(plain.raw).receipt);
        CHECK(seen.insert(receipt.caseNumber).second);
        CHECK(central.stop() == 0);
    }
    // A restart keeps the leases: the same answer again, and a new block shares nothing.
    RunningCentral central(pkiDir(), tmp / "central.db", "central-server", 0, "central-receipt",
        { "--lease-block", "8", "--lease-refill-below", "9" });
    const auto kept = askLease(central, KIOSK_2, tmp);
    REQUIRE(kept.status == 201); // 8 unused < 9: a second block
    for (const auto& n : verifiedLease(kept, "KIOSK-TEST-02").numbers)
        CHECK(seen.insert(n).second);
    const auto listed = run({ (binDir() / "shensu-central").string(), "leases", "--db",
        centralDb(tmp / "central.db") });
    REQUIRE(listed.exitCode == 0);
    CHECK(listed.output.find(first.leaseId) != std::string::npos);
    CHECK(listed.output.find(second.leaseId) != std::string::npos);
    if (!testingPostgres()) return;

    // A fleet: kiosk 1 (8 unused < 9) asks two centrals sharing the database at once. The block
    // is reserved under the lock the registrations take, so only one of them leases a new block;
    // the other sees 16 unused and answers that lease again. Both hold each request 800 ms
    // between counting the unused numbers and reserving a block (--lease-delay-ms), so the two
    // requests always overlap there: without the lock both counted 8 and both leased a block
    // (tried: this failed with the pg_advisory_xact_lock in leaseCaseNumbers removed).
    const std::vector<std::string> racing { "--lease-block", "8", "--lease-refill-below", "9",
        "--lease-delay-ms", "800" };
    CHECK(central.stop() == 0);
    RunningCentral one(
        pkiDir(), tmp / "central.db", "central-server", 0, "central-receipt", racing);
    RunningCentral other(
        pkiDir(), tmp / "central.db", "central-server", 0, "central-receipt", racing);
    auto atOne = std::async(std::launch::async, [&] { return askLease(one, KIOSK_1, tmp); });
    TempDir otherTmp; // its own request file
    const auto atOther = askLease(other, KIOSK_1, otherTmp);
    const auto atFirst = atOne.get();
    std::vector<int> statuses { atFirst.status, atOther.status };
    std::sort(statuses.begin(), statuses.end());
    CHECK(statuses == std::vector<int> { 200, 201 });
    CHECK(atFirst.raw == atOther.raw);
    for (const auto& n : verifiedLease(atOther, "KIOSK-TEST-01").numbers)
        CHECK(seen.insert(n).second);

    // Another schema version (a database of an older central) is refused, not used.
    REQUIRE(queryCentralDb(tmp / "central.db", "UPDATE shensu_schema SET version = 1").ok);
    const auto refused = run({ (binDir() / "shensu-central").string(), "leases", "--db",
        centralDb(tmp / "central.db") });
    CHECK(refused.exitCode != 0);
    CHECK(refused.output.empty());
    CHECK(refused.errors.find("schema 1, expected 2") != std::string::npos);
}

TEST_CASE("central registers a filing under its leased number and the kiosk's code and refuses "
          "with 422 and nothing stored another kiosk's number or a used one or a number never "
          "leased or a malformed lease block",
    "[lease][storage]")
{
    TempDir tmp;
    RunningCentral central(pkiDir(), tmp / "central.db", "central-server", 0, "central-receipt",
        { "--lease-block", "4" });
    const auto lease1 = verifiedLease(askLease(central, KIOSK_1, tmp), "KIOSK-TEST-01");
    const auto lease2 = verifiedLease(askLease(central, KIOSK_2, tmp), "KIOSK-TEST-02");
    const std::string code = network::newKioskVerificationCode();
    REQUIRE(network::protocol::isWellFormedVerificationCode(code));

    const auto refused = [&](const std::string& kiosk, const network::LeasedNumber& taken,
                             const std::string& key) {
        const auto before = storedCases(tmp / "central.db").size();
        const auto answer
            = submit(central, kiosk, tmp / "refused.der", sealLeased(kiosk, taken, "refused"), key);
        CHECK(answer.status == 422);
        CHECK(storedCases(tmp / "central.db").size() == before);
        return answer;
    };

    SECTION("a number of another kiosk's lease")
    {
        const auto answer = refused(KIOSK_1, { lease2.leaseId, lease2.numbers[0], code, now() },
            "6a1d0c55-0000-4000-8000-000000000010");
        CHECK(answer.body["reason"] == "the case number is leased to another kiosk");
        // Kiosk 2 can still use it afterwards.
        const auto ok = submit(central, KIOSK_2, tmp / "ok.der",
            sealLeased(KIOSK_2, { lease2.leaseId, lease2.numbers[0], code, now() }, "ok"),
            "6a1d0c55-0000-4000-8000-000000000011");
        CHECK(ok.status == 201);
    }
    SECTION("a number never leased, and a lease id that does not match")
    {
        refused(KIOSK_1, { lease1.leaseId, "1000101-9999", code, now() },
            "6a1d0c55-0000-4000-8000-000000000020");
        refused(KIOSK_1, { lease2.leaseId, lease1.numbers[0], code, now() },
            "6a1d0c55-0000-4000-8000-000000000021");
    }
    SECTION("a malformed lease block")
    {
        auto filing = syntheticFiling("malformed lease");
        filing[network::FILING_LEASE_KEY] = { { "leaseId", lease1.leaseId } };
        const network::Sealer sealer(pkiDir() / "kiosk-device.pem", pkiDir() / "kiosk-device.key",
            pkiDir() / "central-encryption.pem");
        const auto sealed = sealer.seal(network::protocol::canonicalBytes(filing));
        const auto before = storedCases(tmp / "central.db").size();
        const auto answer = submit(central, KIOSK_1, tmp / "malformed.der",
            std::string(sealed.begin(), sealed.end()), "6a1d0c55-0000-4000-8000-000000000032");
        CHECK(answer.status == 422);
        CHECK(answer.body["error"] == "the filing's leased case number is malformed");
        CHECK(storedCases(tmp / "central.db").size() == before);
    }
    SECTION("a malformed verification code")
    {
        std::string bad = code;
        bad.back() = bad.back() == '0' ? '1' : '0';
        refused(KIOSK_1, { lease1.leaseId, lease1.numbers[0], bad, now() },
            "6a1d0c55-0000-4000-8000-000000000040");
    }
    SECTION("the number is used once: the receipt carries it and the kiosk's code; a second "
            "filing with it is refused, a replay of the first gets the same receipt")
    {
        const network::LeasedNumber taken { lease1.leaseId, lease1.numbers[2], code, now() };
        const std::string envelope = sealLeased(KIOSK_1, taken, "first");
        const std::string key = "6a1d0c55-0000-4000-8000-000000000050";
        const auto first = submit(central, KIOSK_1, tmp / "first.der", envelope, key);
        REQUIRE(first.status == 201);
        const network::ReceiptVerifier verifier(pkiDir() / "central-receipt.pem");
        const auto receipt = verifier.verify(first.raw,
            std::span(reinterpret_cast<const unsigned char*>(envelope.data()), envelope.size()),
            key);
        CHECK(receipt.caseNumber == lease1.numbers[2]);
        CHECK(receipt.verificationCode == code);
        const auto replay = submit(central, KIOSK_1, tmp / "first.der", envelope, key);
        CHECK(replay.status == 200);
        CHECK(replay.raw == first.raw);

        const auto reused = refused(KIOSK_1,
            { lease1.leaseId, lease1.numbers[2], network::newKioskVerificationCode(), now() },
            "6a1d0c55-0000-4000-8000-000000000051");
        CHECK(reused.body["reason"] == "the case number is used already");

        // The kiosk's code opens the case's status; central keeps only its hash.
        const auto status = queryStatus(central, tmp / "status.json", receipt.caseNumber, code);
        CHECK(status.status == 200);
        CHECK(status.body["caseNumber"] == receipt.caseNumber);
        CHECK_FALSE(centralDbContains(tmp / "central.db", code));
        std::string hash;
        if (testingPostgres()) {
            const auto stored = queryCentralDb(tmp / "central.db",
                "SELECT verification_hash FROM cases WHERE case_number = '" + receipt.caseNumber
                    + "'");
            REQUIRE(stored.ok);
            hash = stored.output;
        } else {
            network::sqlite::Database db(tmp / "central.db");
            auto stmt = db.prepare("SELECT verification_hash FROM cases WHERE case_number = ?");
            stmt.bind(1, receipt.caseNumber);
            REQUIRE(stmt.step());
            hash = stmt.columnText(0);
        }
        CHECK(hash.rfind("scrypt$", 0) == 0);
        CHECK(hash.find(code) == std::string::npos);
    }
}

TEST_CASE("central registers a leased number whatever its times say: taken by a kiosk whose "
          "clock is 10 minutes slow, taken after expiry, arriving over 30 days after expiry, and a "
          "filing that is not a JSON object is not refused for its lease",
    "[lease][storage]")
{
    TempDir tmp;
    RunningCentral central(pkiDir(), tmp / "central.db", "central-server", 0, "central-receipt",
        { "--lease-block", "4" });
    const auto lease = verifiedLease(askLease(central, KIOSK_1, tmp), "KIOSK-TEST-01");
    const auto issued = network::parseLeaseTime(lease.issuedAt);
    const auto expires = network::parseLeaseTime(lease.expiresAt);
    const network::ReceiptVerifier verifier(pkiDir() / "central-receipt.pem");

    // Registered under the leased number with the kiosk's code; central's log says why it is odd.
    const auto delivered = [&](const network::LeasedNumber& taken, const std::string& key,
                               const std::string& logged) {
        const std::string envelope = sealLeased(KIOSK_1, taken, key);
        const auto answer = submit(central, KIOSK_1, tmp / "late.der", envelope, key);
        REQUIRE(answer.status == 201);
        const auto receipt = verifier.verify(answer.raw,
            std::span(reinterpret_cast<const unsigned char*>(envelope.data()), envelope.size()),
            key);
        CHECK(receipt.caseNumber == taken.caseNumber);
        CHECK(receipt.verificationCode == taken.verificationCode);
        const auto status
            = queryStatus(central, tmp / "status.json", taken.caseNumber, taken.verificationCode);
        CHECK(status.status == 200);
        const auto log = readFile(central.logPath());
        CHECK(log.find("case " + taken.caseNumber + " received from KIOSK-TEST-01 (leased number "
                  + logged + ")")
            != std::string::npos);
        CHECK(log.find(taken.verificationCode) == std::string::npos);
    };

    // The kiosk's clock 10 minutes slow: its takenAt is before the lease was issued.
    delivered({ lease.leaseId, lease.numbers[0], network::newKioskVerificationCode(),
                  network::leaseTime(issued - std::chrono::minutes(10)) },
        "6a1d0c55-0000-4000-8000-000000000060",
        "taken before its lease was issued (the kiosk's clock is behind)");
    delivered({ lease.leaseId, lease.numbers[1], network::newKioskVerificationCode(),
                  network::leaseTime(expires + std::chrono::minutes(1)) },
        "6a1d0c55-0000-4000-8000-000000000061", "taken after its lease expired");
    {
        // The lease moved 40 days into the past: it expired over 30 days ago.
        // (The same SQL on SQLite and PostgreSQL; the lease id is a UUID.)
        const auto moved = queryCentralDb(tmp / "central.db",
            "UPDATE case_leases SET issued_at = issued_at - 3456000,"
            " expires_at = expires_at - 3456000 WHERE lease_id = '"
                + lease.leaseId + "'");
        REQUIRE(moved.ok);
    }
    delivered(
        { lease.leaseId, lease.numbers[2], network::newKioskVerificationCode(),
            network::leaseTime(issued - std::chrono::hours(24 * 40) + std::chrono::hours(1)) },
        "6a1d0c55-0000-4000-8000-000000000062", "arrived long after its lease expired");

    // A plaintext that is not a JSON object carries no lease: whatever refuses it (here the filer
    // check, which wants a filer block), it is not a "malformed leased number".
    const network::Sealer sealer(pkiDir() / "kiosk-device.pem", pkiDir() / "kiosk-device.key",
        pkiDir() / "central-encryption.pem");
    const std::string text = "[\"not an object\"]";
    const auto sealed
        = sealer.seal(std::span(reinterpret_cast<const unsigned char*>(text.data()), text.size()));
    const auto plain = submit(central, KIOSK_1, tmp / "array.der",
        std::string(sealed.begin(), sealed.end()), "6a1d0c55-0000-4000-8000-000000000063");
    CHECK(plain.status == 422);
    CHECK(plain.body["error"] == "filing has no filer block");
    CHECK(central.stop() == 0);
}

TEST_CASE("the kiosk's outbox takes each leased number once and in one transaction with the filing",
    "[lease]")
{
    TempDir tmp;
    network::Outbox outbox(tmp / "outbox.db");
    const auto now = std::chrono::system_clock::now();
    outbox.addLease(
        "{}", "lease-a", { "1151123-0001", "1151123-0002" }, now + std::chrono::hours(1));
    outbox.addLease("{}", "lease-old", { "1151122-0001" }, now - std::chrono::minutes(1));
    CHECK(outbox.unusedLeasedNumbers(now) == 2);
    const auto next = outbox.nextLeasedNumber(now);
    REQUIRE(next);
    CHECK(next->caseNumber == "1151123-0001");
    const std::vector<unsigned char> envelope { 1, 2, 3 };
    outbox.addWithLeasedNumber("f1", envelope, now, next->caseNumber);
    // The same number again: nothing written.
    CHECK_THROWS(outbox.addWithLeasedNumber("f2", envelope, now, next->caseNumber));
    CHECK(outbox.count() == 1);
    // The expired lease's number is never offered.
    CHECK_THROWS(outbox.addWithLeasedNumber("f3", envelope, now, "1151199-0001"));
    // Adding the same lease again (central sent it again) does not free the used number.
    outbox.addLease(
        "{}", "lease-a", { "1151123-0001", "1151123-0002" }, now + std::chrono::hours(1));
    CHECK(outbox.nextLeasedNumber(now)->caseNumber == "1151123-0002");
    CHECK(outbox.nextDue(now)->caseNumber == "1151123-0001");
    outbox.dropLease("lease-a");
    CHECK(!outbox.nextLeasedNumber(now));
}

TEST_CASE("offline the forwarder seals a leased number and its own code while central is down "
          "and central's receipt later carries that number and the code opens the case",
    "[lease]")
{
    TempDir tmp;
    const int port = unusedPort();
    auto config = forwarderConfig(tmp / "outbox.db", port);
    config.caseLeases = true;
    config.leaseLowWater = 3;
    ResultLog results;
    network::LeasedNumber taken;
    network::StoredFiling stored;
    {
        auto central
            = std::make_unique<RunningCentral>(pkiDir(), tmp / "central.db", "central-server", port,
                "central-receipt", std::vector<std::string> { "--lease-block", "4" });
        network::Forwarder forwarder(config, std::ref(results));
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
        while (forwarder.leasedNumbersLeft() == 0 && std::chrono::steady_clock::now() < deadline)
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        REQUIRE(forwarder.leasedNumbersLeft() == 4);
        CHECK(central->stop() == 0);
        central.reset();

        stored = forwarder.storeFiling(syntheticFiling("offline"));
        CHECK(matchesShape(stored.caseNumber, "9999999-9999"));
        CHECK(network::protocol::isWellFormedVerificationCode(stored.verificationCode));
        CHECK(forwarder.leasedNumbersLeft() == 3);
        const auto deferred = results.waitFor(1, std::chrono::seconds(10));
        REQUIRE(deferred);
        CHECK(std::holds_alternative<network::FilingDeferred>(*deferred));
    } // the kiosk restarts too: the number stays taken
    {
        network::Forwarder forwarder(config, std::ref(results));
        CHECK(forwarder.leasedNumbersLeft() == 3);
        const auto second = forwarder.storeFiling(syntheticFiling("offline 2"));
        CHECK(second.caseNumber != stored.caseNumber);
        CHECK(!second.caseNumber.empty());

        RunningCentral central(pkiDir(), tmp / "central.db", "central-server", port,
            "central-receipt", { "--lease-block", "4" });
        std::optional<network::FilingAccepted> accepted;
        for (std::size_t n = 2; n < 40 && !accepted; ++n) {
            const auto r = results.waitFor(n, std::chrono::seconds(10));
            REQUIRE(r);
            if (const auto* a = std::get_if<network::FilingAccepted>(&*r);
                a && a->filingId == stored.filingId)
                accepted = *a;
        }
        REQUIRE(accepted);
        CHECK(accepted->caseNumber == stored.caseNumber);
        CHECK(accepted->verificationCode == stored.verificationCode);
        const auto status
            = queryStatus(central, tmp / "status.json", stored.caseNumber, stored.verificationCode);
        CHECK(status.status == 200);
        CHECK(status.body["status"] == "received");
    }
}

TEST_CASE(
    "a stored lease that does not verify is dropped when the forwarder starts and none of its "
    "numbers is used",
    "[lease]")
{
    TempDir tmp;
    auto config = forwarderConfig(tmp / "outbox.db", unusedPort());
    config.caseLeases = true;
    const auto later = std::chrono::system_clock::now() + std::chrono::hours(1);
    {
        // A lease written into the outbox by hand (signed by another key): not central's.
        network::Outbox outbox(tmp / "outbox.db");
        network::CaseLease forged { "forged-lease", "KIOSK-TEST-01", { "1151123-0001" },
            network::leaseTime(std::chrono::system_clock::now()), network::leaseTime(later) };
        const network::LeaseSigner rogue(
            pkiDir() / "rogue-server.pem", pkiDir() / "rogue-server.key");
        outbox.addLease(rogue.sign(forged), forged.leaseId, forged.numbers, later);
        REQUIRE(outbox.unusedLeasedNumbers(std::chrono::system_clock::now()) == 1);
    }
    ResultLog results;
    network::Forwarder forwarder(config, std::ref(results));
    CHECK(forwarder.leasedNumbersLeft() == 0);
    const auto stored = forwarder.storeFiling(syntheticFiling("no lease"));
    CHECK(stored.caseNumber.empty());
    CHECK(stored.verificationCode.empty());
}

namespace
{
// Sends this process's stderr (the network layer's log, and central's when started meanwhile) to
// a file while it lives, so a test can read what the kiosk logged.
class StderrCapture
{
public:
    explicit StderrCapture(fs::path file)
        : file_(std::move(file))
    {
        std::fflush(stderr);
        saved_ = ::dup(2);
        const int fd = ::open(file_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        REQUIRE(fd >= 0);
        ::dup2(fd, 2);
        ::close(fd);
    }
    ~StderrCapture()
    {
        std::fflush(stderr);
        ::dup2(saved_, 2);
        ::close(saved_);
    }
    StderrCapture(const StderrCapture&) = delete;
    StderrCapture& operator=(const StderrCapture&) = delete;
    std::string text() const
    {
        std::fflush(stderr);
        return readFile(file_);
    }

private:
    fs::path file_;
    int saved_ = -1;
};

bool eventually(const std::function<bool()>& done)
{
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!done() && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    return done();
}
} // namespace

TEST_CASE("a kiosk whose clock is behind central's uses no lease: it logs a clock error and its "
          "filings still go, with central's numbers",
    "[lease]")
{
    TempDir tmp;
    const int port = unusedPort();
    auto config = forwarderConfig(tmp / "outbox.db", port);
    config.caseLeases = true;
    config.leaseLowWater = 3;
    // Central's leases are issued "now"; an allowance of -1 h stands for a kiosk clock more than
    // an hour slow plus the usual 5 minutes.
    config.leaseClockSkew = -std::chrono::hours(1);
    RunningCentral central(pkiDir(), tmp / "central.db", "central-server", port, "central-receipt",
        { "--lease-block", "4" });
    ResultLog results;
    StderrCapture log(tmp / "kiosk.log");
    network::Forwarder forwarder(config, std::ref(results));
    CHECK(eventually([&] { return log.text().find("clock error") != std::string::npos; }));
    CHECK(forwarder.leasedNumbersLeft() == 0);
    const auto stored = forwarder.storeFiling(syntheticFiling("slow clock"));
    CHECK(stored.caseNumber.empty());
    const auto r = results.waitFor(1, std::chrono::seconds(10));
    REQUIRE(r);
    const auto* accepted = std::get_if<network::FilingAccepted>(&*r);
    REQUIRE(accepted);
    CHECK(matchesShape(accepted->caseNumber, "9999999-9999"));
}

TEST_CASE("the verification code a kiosk makes for a leased number never reaches its disk or its "
          "log in plaintext, neither while the filing waits nor after delivery",
    "[lease]")
{
    TempDir tmp;
    const int port = unusedPort();
    auto config = forwarderConfig(tmp / "outbox.db", port);
    config.caseLeases = true;
    config.leaseLowWater = 3;
    ResultLog results;
    StderrCapture log(tmp / "kiosk.log");
    const auto onDisk = [&](const std::string& code) {
        std::string found;
        for (const auto* suffix : { "", "-wal", "-journal", "-shm" }) {
            const fs::path file = tmp / (std::string("outbox.db") + suffix);
            if (fs::exists(file) && readFile(file).find(code) != std::string::npos)
                found += file.filename().string() + ' ';
        }
        if (log.text().find(code) != std::string::npos) found += "kiosk.log";
        return found;
    };
    auto first = std::make_unique<RunningCentral>(pkiDir(), tmp / "central.db", "central-server",
        port, "central-receipt", std::vector<std::string> { "--lease-block", "4" });
    network::Forwarder forwarder(config, std::ref(results));
    REQUIRE(eventually([&] { return forwarder.leasedNumbersLeft() == 4; }));
    CHECK(first->stop() == 0);
    first.reset();
    const auto stored = forwarder.storeFiling(syntheticFiling("code on disk"));
    REQUIRE(network::protocol::isWellFormedVerificationCode(stored.verificationCode));
    REQUIRE(!stored.caseNumber.empty());
    REQUIRE(results.waitFor(1, std::chrono::seconds(10))); // deferred: central is down
    CHECK(onDisk(stored.verificationCode).empty());
    // The check can fail: the case number (not secret) is on disk, and found.
    CHECK(!onDisk(stored.caseNumber).empty());

    RunningCentral central(pkiDir(), tmp / "central.db", "central-server", port, "central-receipt",
        { "--lease-block", "4" });
    std::optional<network::FilingAccepted> accepted;
    for (std::size_t n = 2; n < 40 && !accepted; ++n) {
        const auto r = results.waitFor(n, std::chrono::seconds(10));
        REQUIRE(r);
        if (const auto* a = std::get_if<network::FilingAccepted>(&*r)) accepted = *a;
    }
    REQUIRE(accepted);
    CHECK(accepted->verificationCode == stored.verificationCode);
    CHECK(onDisk(stored.verificationCode).empty());
    CHECK(central.stop() == 0);
}

TEST_CASE("a leased filing central refuses is held, logged once for a technician, and goes with "
          "its number once central knows the lease again and the technician releases it",
    "[lease][held]")
{
    TempDir tmp;
    const int port = unusedPort();
    auto config = forwarderConfig(tmp / "outbox.db", port);
    config.caseLeases = true;
    config.leaseLowWater = 3;
    ResultLog results;
    StderrCapture log(tmp / "kiosk.log");
    const std::vector<std::string> leases { "--lease-block", "4" };
    auto central = std::make_unique<RunningCentral>(
        pkiDir(), tmp / "central.db", "central-server", port, "central-receipt", leases);
    network::Forwarder forwarder(config, std::ref(results));
    REQUIRE(eventually([&] { return forwarder.leasedNumbersLeft() == 4; }));
    CHECK(central->stop() == 0);
    central.reset();
    const auto stored = forwarder.storeFiling(syntheticFiling("refused"));
    REQUIRE(!stored.caseNumber.empty());
    {
        // Central forgot the lease (a restored backup, say): the number was "never leased".
        network::sqlite::Database db(tmp / "central.db");
        db.exec("CREATE TABLE saved_numbers AS SELECT * FROM leased_numbers");
        db.exec("DELETE FROM leased_numbers");
    }
    central = std::make_unique<RunningCentral>(
        pkiDir(), tmp / "central.db", "central-server", port, "central-receipt", leases);
    // (Deferred as unreachable while central was down, then held at its first answer.)
    std::size_t heldAt = 0;
    for (std::size_t n = 1; n < 60 && heldAt == 0; ++n) {
        const auto r = results.waitFor(n, std::chrono::seconds(10));
        REQUIRE(r);
        const auto* d = std::get_if<network::FilingDeferred>(&*r);
        REQUIRE(d);
        if (d->held) {
            heldAt = n;
            CHECK(d->reason == "held: central refuses the filing for good: HTTP 422 (lease)");
        }
    }
    REQUIRE(heldAt > 0);
    std::this_thread::sleep_for(std::chrono::milliseconds(700)); // past maxRetryDelay: not resent
    CHECK(results.size() == heldAt);
    const std::string line = "central refuses filing " + stored.filingId + " with leased number "
        + stored.caseNumber + " for good: HTTP 422 (lease); it is held";
    const auto text = log.text();
    const auto at = text.find(line);
    CHECK(at != std::string::npos);
    CHECK(text.find(line, at + 1) == std::string::npos);
    CHECK(forwarder.pendingCount() == 0);
    CHECK(forwarder.heldCount() == 1);
    const auto held = network::Outbox(tmp / "outbox.db").held();
    REQUIRE(held.size() == 1);
    CHECK(held[0].reason == "http-422:lease");
    CHECK(held[0].caseNumber == stored.caseNumber);
    CHECK(central->stop() == 0);

    // Central's lease is restored; the technician releases the filing (as shensu-ctl outbox retry
    // does, from another connection): it goes under the number the filer was shown.
    {
        network::sqlite::Database db(tmp / "central.db");
        db.exec("INSERT INTO leased_numbers SELECT * FROM saved_numbers");
        db.exec("DROP TABLE saved_numbers");
    }
    central = std::make_unique<RunningCentral>(
        pkiDir(), tmp / "central.db", "central-server", port, "central-receipt", leases);
    CHECK(network::Outbox(tmp / "outbox.db").release(stored.filingId, network::Clock::now()) == 1);
    std::optional<network::FilingAccepted> accepted;
    for (std::size_t n = heldAt + 1; n < heldAt + 20 && !accepted; ++n) {
        const auto next = results.waitFor(n, std::chrono::seconds(10));
        REQUIRE(next);
        if (const auto* a = std::get_if<network::FilingAccepted>(&*next)) accepted = *a;
    }
    REQUIRE(accepted);
    CHECK(accepted->filingId == stored.filingId);
    CHECK(accepted->caseNumber == stored.caseNumber);
    CHECK(accepted->verificationCode == stored.verificationCode);
    CHECK(forwarder.heldCount() == 0);
    CHECK(forwarder.pendingCount() == 0);
    CHECK(central->stop() == 0);
}
