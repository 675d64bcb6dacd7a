// Central's case workflow as a filer and an administrator see it: verification codes, concurrent
// duplicates, status queries through the workflow, due dates, rate limits.
#include "support.hpp"

#include <network/outbox.hpp>
#include <network/protocol.hpp>
#include <network/receipt.hpp>

#include <atomic>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <future>
#include <sstream>
#include <thread>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

using namespace shensu;
using namespace shensu::testing;
namespace fs = std::filesystem;

namespace
{
std::span<const unsigned char> bytesOf(const std::string& s)
{
    return { reinterpret_cast<const unsigned char*>(s.data()), s.size() };
}

// Posts envelope file `der` under `key` and returns the verified receipt.
network::protocol::SubmissionReceipt submit(
    const RunningCentral& central, const fs::path& der, const std::string& key)
{
    const auto answer = post(central, "/v1/submissions", der, { CMS, "Idempotency-Key: " + key });
    REQUIRE(answer.status == 201);
    const network::ReceiptVerifier verifier(pkiDir() / "central-receipt.pem");
    return verifier.verify(answer.raw, bytesOf(readFile(der)), key);
}

// The Retry-After header's seconds, or -1 without one.
int retryAfterSeconds(const std::string& headers)
{
    const std::string name = "\nRetry-After: ";
    const auto at = ("\n" + headers).find(name);
    if (at == std::string::npos) return -1;
    return std::atoi(headers.c_str() + at + name.size() - 1);
}

CommandResult caseCommand(const std::vector<std::string>& args)
{
    std::vector<std::string> argv { (binDir() / "shensu-central").string(), "case" };
    argv.insert(argv.end(), args.begin(), args.end());
    return run(argv);
}

// The Taipei calendar date of a UTC "YYYY-MM-DDTHH:MM:SSZ", plus days, as "YYYY-MM-DD".
std::string taipeiDatePlus(const std::string& utc, int days, int months = 0)
{
    using namespace std::chrono;
    std::tm tm {};
    REQUIRE(strptime(utc.c_str(), "%Y-%m-%dT%H:%M:%SZ", &tm) != nullptr);
    const auto t = system_clock::from_time_t(timegm(&tm)) + hours(8);
    year_month_day ymd { floor<std::chrono::days>(t) };
    ymd = year_month_day { sys_days(ymd) + std::chrono::days(days) };
    if (months != 0) {
        const auto ym = year_month(ymd.year(), ymd.month()) + std::chrono::months(months);
        const auto last = year_month_day_last(ym.year(), month_day_last(ym.month())).day();
        ymd = year_month_day(ym.year(), ym.month(), std::min(ymd.day(), last));
    }
    char text[16];
    std::snprintf(text, sizeof text, "%04d-%02u-%02u", static_cast<int>(ymd.year()),
        static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
    return text;
}
} // namespace

TEST_CASE("a verification code is 15 random digits and a Luhn check digit and central's "
          "database never holds it in the clear",
    "[central][storage]")
{
    TempDir tmp;
    RunningCentral central(pkiDir(), tmp / "central.db");
    std::vector<std::string> codes;
    for (int i = 0; i < 5; ++i) {
        writeFile(tmp / "f.der", sealFiling("code " + std::to_string(i)));
        const auto receipt = submit(central, tmp / "f.der", network::newUuid());
        CHECK(network::protocol::isWellFormedVerificationCode(receipt.verificationCode));
        codes.push_back(receipt.verificationCode);
    }
    std::sort(codes.begin(), codes.end());
    CHECK(std::adjacent_find(codes.begin(), codes.end()) == codes.end());
    central.stop();
    for (const auto& code : codes) {
        INFO(code);
        CHECK_FALSE(centralDbContains(tmp / "central.db", code));
    }
    const auto hashes = queryCentralDb(tmp / "central.db", "SELECT verification_hash FROM cases");
    if (hashes.ok) { // the sqlite3 CLI is optional here
        CHECK(hashes.output.find("scrypt$512$8$1$") == 0);
    }
}

TEST_CASE("the same Idempotency-Key arriving while the first request is still being processed "
          "gets 409 and central registers one case",
    "[central][storage]")
{
    TempDir tmp;
    // Central holds each new submission 2 s before registering it. The second post starts only
    // once curl says the first one's whole body is sent (central then holds the request), and its
    // 409 must come back while the first is still waiting for its answer.
    RunningCentral central(pkiDir(), tmp / "central.db", "central-server", 0, "central-receipt",
        { "--processing-delay-ms", "2000" });
    writeFile(tmp / "one.der", sealFiling("raced"));
    const std::string key = "Idempotency-Key: 5d1c2b3a-aaaa-4bbb-8ccc-dddddddddddd";
    const auto& pki = pkiDir();
    // curl -v writes to stderr unbuffered: a file we can watch while it waits for the answer.
    Process first(
        { "/usr/bin/curl", "-sS", "-v", "--tlsv1.3", "--resolve", central.resolve(), "--cacert",
            (pki / "central-ca.pem").string(), "--capath", "/nonexistent", "--cert",
            (pki / "kiosk-device.pem").string(), "--key", (pki / "kiosk-device.key").string(),
            "--data-binary", "@" + (tmp / "one.der").string(), "-H", CMS, "-H", key, "-w",
            "\nSTATUS %{http_code}\n", central.url() + "/v1/submissions" },
        {}, tmp / "first.trace");
    // The request headers end with a line "> ", then "} [N bytes data]" per body write.
    const auto bodySize = fs::file_size(tmp / "one.der");
    const auto bodySent = [&] {
        std::istringstream trace(readFile(tmp / "first.trace"));
        bool headersSent = false;
        std::uintmax_t sent = 0;
        for (std::string line; std::getline(trace, line);) {
            if (line.ends_with('\r')) line.pop_back(); // header lines come as sent, CRLF
            if (line == "> ")
                headersSent = true;
            else if (headersSent && line.starts_with("} [") && line.ends_with(" bytes data]"))
                sent += std::stoull(line.substr(3));
            else if (line.starts_with("< "))
                FAIL("the first post was answered before its body was seen going out");
        }
        return sent >= bodySize;
    };
    const auto waitingSince = std::chrono::steady_clock::now();
    while (!bodySent()) {
        INFO(readFile(tmp / "first.trace"));
        REQUIRE(std::chrono::steady_clock::now() - waitingSince < std::chrono::seconds(20));
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    fs::copy_file(tmp / "one.der", tmp / "b.der");
    const Http second = post(central, "/v1/submissions", tmp / "b.der", { CMS, key });
    const bool firstStillRunning = !first.wait(std::chrono::milliseconds(0));
    CHECK(second.status == 409);
    CHECK(retryAfterSeconds(second.headers) == 1);
    CHECK(firstStillRunning); // the 409 came while the first was being processed

    // The first one then gets its 201 and the receipt.
    int firstStatus = 0;
    std::string firstOutput;
    while (const auto line = first.readLine(std::chrono::seconds(20))) {
        firstOutput += *line + '\n';
        if (line->starts_with("STATUS ")) firstStatus = std::stoi(line->substr(7));
    }
    INFO(firstOutput);
    REQUIRE(first.wait(std::chrono::seconds(5)) == std::optional<int>(0));
    CHECK(firstStatus == 201);

    // Once the first has finished, the same request is a plain replay of that receipt.
    const auto replay = post(central, "/v1/submissions", tmp / "one.der", { CMS, key });
    CHECK(replay.status == 200);
    CHECK(firstOutput.find(replay.raw) != std::string::npos);
    CHECK(storedCases(tmp / "central.db").size() == 1);
}

TEST_CASE("a filer follows the case through the responsible-agency workflow with the case number "
          "and verification code, and a wrong code learns nothing",
    "[central][storage]")
{
    TempDir tmp;
    RunningCentral central(pkiDir(), tmp / "central.db");
    writeFile(tmp / "f.der", sealFiling("workflow"));
    const auto receipt = submit(central, tmp / "f.der", "7e57ca5e-0000-4000-8000-000000000001");
    const std::string db = centralDb(tmp / "central.db");

    // Receipts carry the due dates: 3 calendar days and 1 month from the Taipei date of receipt.
    CHECK(receipt.initialReportDue == taipeiDatePlus(receipt.receivedAt, 3));
    CHECK(receipt.resultReportDue == taipeiDatePlus(receipt.receivedAt, 0, 1));

    auto status = [&] {
        return queryStatus(central, tmp / "q.json", receipt.caseNumber, receipt.verificationCode);
    };
    auto s = status();
    REQUIRE(s.status == 200);
    CHECK(s.body["caseNumber"] == receipt.caseNumber);
    CHECK(s.body["status"] == "received");
    CHECK(s.body["statusText"] == "已收到通報案件");
    CHECK(s.body["receivedAt"] == receipt.receivedAt);
    CHECK(s.body["initialReportDue"] == receipt.initialReportDue);
    CHECK(s.body["resultReportDue"] == receipt.resultReportDue);

    auto advance = caseCommand({ "advance", "--db", db, receipt.caseNumber });
    REQUIRE(advance.exitCode == 0);
    CHECK(nlohmann::json::parse(advance.output)["status"] == "forwarded");
    s = status();
    CHECK(s.body["status"] == "forwarded");
    CHECK(s.body["statusText"] == "已轉交權責機關"); // the platform's own wording (seed 000, 3.2)

    SECTION("states go in order only")
    {
        const auto skip
            = caseCommand({ "advance", "--db", db, receipt.caseNumber, "--to", "closed" });
        CHECK(skip.exitCode == 1);
        CHECK(skip.errors.find("the next state is accepted") != std::string::npos);
        CHECK(status().body["status"] == "forwarded");
        CHECK(caseCommand({ "advance", "--db", db, "0000000-0000" }).exitCode == 1);
        CHECK(caseCommand({ "advance", "--db", db, receipt.caseNumber, "--to", "lost" }).exitCode
            == 2);
    }
    SECTION("the result deadline is extended once, then no more")
    {
        REQUIRE(
            caseCommand({ "advance", "--db", db, receipt.caseNumber, "--to", "accepted" }).exitCode
            == 0);
        const auto extended = caseCommand({ "extend", "--db", db, receipt.caseNumber });
        REQUIRE(extended.exitCode == 0);
        const auto shown = nlohmann::json::parse(extended.output);
        CHECK(shown["resultReportDue"] == taipeiDatePlus(receipt.receivedAt, 0, 2));
        CHECK(shown["resultExtensions"] == 1);
        CHECK(status().body["resultReportDue"] == taipeiDatePlus(receipt.receivedAt, 0, 2));
        const auto again = caseCommand({ "extend", "--db", db, receipt.caseNumber });
        CHECK(again.exitCode == 1);
        CHECK(again.errors.find("extension") != std::string::npos);
    }
    SECTION("all the way to closed, each step in the history")
    {
        for (const char* next : { "accepted", "initial_reported", "result_reported", "closed" }) {
            const auto moved = caseCommand({ "advance", "--db", db, receipt.caseNumber });
            REQUIRE(moved.exitCode == 0);
            CHECK(nlohmann::json::parse(moved.output)["status"] == next);
        }
        s = status();
        CHECK(s.body["status"] == "closed");
        CHECK(s.body["statusText"] == "已結案");
        CHECK(caseCommand({ "extend", "--db", db, receipt.caseNumber }).exitCode == 1);
        CHECK(caseCommand({ "advance", "--db", db, receipt.caseNumber }).exitCode == 1);
        const auto shown = caseCommand({ "show", "--db", db, receipt.caseNumber });
        REQUIRE(shown.exitCode == 0);
        const auto history = nlohmann::json::parse(shown.output)["history"];
        REQUIRE(history.size() == 6);
        CHECK(history[0]["status"] == "received");
        CHECK(history[5]["status"] == "closed");
    }
    SECTION("a wrong code, a mistyped code and an unknown case get the same answer")
    {
        std::string wrong = network::protocol::isWellFormedVerificationCode("0000000000000000")
            ? "0000000000000000"
            : "";
        REQUIRE_FALSE(wrong.empty());
        if (wrong == receipt.verificationCode) wrong = "1234567890123452";
        std::string typo = receipt.verificationCode;
        typo[3] = typo[3] == '1' ? '2' : '1';
        const auto wrongCode = queryStatus(central, tmp / "w.json", receipt.caseNumber, wrong);
        const auto typoCode = queryStatus(central, tmp / "t.json", receipt.caseNumber, typo);
        const auto unknown
            = queryStatus(central, tmp / "u.json", "0000000-9999", receipt.verificationCode);
        CHECK(wrongCode.status == 404);
        CHECK(typoCode.status == 404);
        CHECK(unknown.status == 404);
        CHECK(wrongCode.raw == unknown.raw);
        CHECK(typoCode.raw == unknown.raw);
    }
}

TEST_CASE("status queries are limited per case and per kiosk with 429 and Retry-After",
    "[central][storage]")
{
    TempDir tmp;
    // A second kiosk of the same kiosk CA: another CN on the TLS connection.
    const auto otherKiosk = kioskIdentity("kiosk-device-2"); // KIOSK-TEST-02
    SECTION("per case: guessing one case's code stops after the burst, from any kiosk")
    {
        writeFile(tmp / "workflow.json",
            R"({"statusQueries": {"perCase": {"burst": 3, "intervalMs": 60000},
                                 "perKiosk": {"burst": 100, "intervalMs": 10}}})");
        RunningCentral central(pkiDir(), tmp / "central.db", "central-server", 0, "central-receipt",
            { "--workflow", (tmp / "workflow.json").string() });
        writeFile(tmp / "f.der", sealFiling("limited"));
        const auto receipt = submit(central, tmp / "f.der", "7e57ca5e-0000-4000-8000-000000000002");
        for (int i = 0; i < 3; ++i)
            CHECK(
                queryStatus(central, tmp / "q.json", receipt.caseNumber, "1234567890123452").status
                == 404);
        // The right code is refused too now: the limit is on the case, not on wrong answers.
        const auto limited
            = queryStatus(central, tmp / "q.json", receipt.caseNumber, receipt.verificationCode);
        CHECK(limited.status == 429);
        // A refill of one token per 60 s, so the wait is at most 60 s (less once time passed).
        const int wait = retryAfterSeconds(limited.headers);
        CHECK(wait >= 1);
        CHECK(wait <= 60);
        // Moving to another kiosk does not buy more guesses on this case.
        const auto elsewhere = queryStatus(
            central, tmp / "q.json", receipt.caseNumber, "1234567890123452", &otherKiosk);
        CHECK(elsewhere.status == 429);
        CHECK(retryAfterSeconds(elsewhere.headers) >= 1);
        // A case number that cannot exist gets no bucket (memory) and is refused as such.
        CHECK(
            queryStatus(central, tmp / "q.json", std::string(4096, '1'), "1234567890123452").status
            == 400);
        // Another case is not affected.
        CHECK(
            queryStatus(central, tmp / "q.json", "0000000-0001", "1234567890123452").status == 404);
    }
    SECTION("per kiosk: sweeping case numbers stops after the burst")
    {
        writeFile(tmp / "workflow.json",
            R"({"statusQueries": {"perKiosk": {"burst": 4, "intervalMs": 30000}}})");
        RunningCentral central(pkiDir(), tmp / "central.db", "central-server", 0, "central-receipt",
            { "--workflow", (tmp / "workflow.json").string() });
        for (int i = 1; i <= 4; ++i)
            CHECK(queryStatus(central, tmp / "q.json", "1151123-000" + std::to_string(i),
                      "1234567890123452")
                      .status
                == 404);
        const auto limited
            = queryStatus(central, tmp / "q.json", "1151123-0005", "1234567890123452");
        CHECK(limited.status == 429);
        const int wait = retryAfterSeconds(limited.headers);
        CHECK(wait >= 1);
        CHECK(wait <= 30);
        // The bucket is this kiosk's: another kiosk is still answered, on the same case too.
        CHECK(queryStatus(central, tmp / "q.json", "1151123-0006", "1234567890123452", &otherKiosk)
                  .status
            == 404);
        CHECK(queryStatus(central, tmp / "q.json", "1151123-0005", "1234567890123452", &otherKiosk)
                  .status
            == 404);
    }
}

TEST_CASE("central refuses to start on a workflow file it cannot use", "[central]")
{
    TempDir tmp;
    writeFile(tmp / "workflow.json",
        R"({"deadlines": {"initialReport": {"amount": 3, "unit": "fortnights"}}})");
    CHECK_THROWS_WITH(RunningCentral(pkiDir(), tmp / "central.db", "central-server", 0,
                          "central-receipt", { "--workflow", (tmp / "workflow.json").string() }),
        Catch::Contains("unit must be"));
}

TEST_CASE("after the encryption key is rotated, a replay still gets the receipt first signed, "
          "sealed again under the new key",
    "[central][storage]")
{
    // An answer lost on the way (cut mid-answer) and a key rotation before the kiosk's retry
    // must not leave the row undeliverable (500 forever, the filer without a code).
    TempDir tmp;
    writeFile(tmp / "f.der", sealFiling("rotated"));
    const std::string idem = "Idempotency-Key: 7e57ca5e-0000-4000-8000-00000000a0a0";
    Http first;
    {
        RunningCentral central(pkiDir(), tmp / "central.db");
        first = post(central, "/v1/submissions", tmp / "f.der", { CMS, idem });
        REQUIRE(first.status == 201);
    }
    // A new encryption key pair (the kiosks get the new certificate).
    REQUIRE(run({ "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                    "-nodes", "-keyout", (tmp / "new.key").string(), "-out",
                    (tmp / "new.pem").string(), "-subj", "/CN=Shensu Test Rotated", "-days", "2" })
                .exitCode
        == 0);
    const std::vector<std::string> rotated { "--encryption-key", (tmp / "new.key").string(),
        "--encryption-cert", (tmp / "new.pem").string() };
    {
        auto args = rotated;
        args.insert(args.end(),
            { "--previous-encryption-key", (pkiDir() / "central-encryption.key").string() });
        RunningCentral central(
            pkiDir(), tmp / "central.db", "central-server", 0, "central-receipt", args);
        const auto replay = post(central, "/v1/submissions", tmp / "f.der", { CMS, idem });
        CHECK(replay.status == 200);
        CHECK(replay.raw == first.raw);
    }
    {
        // The row was sealed again: the old key is no longer needed.
        RunningCentral central(
            pkiDir(), tmp / "central.db", "central-server", 0, "central-receipt", rotated);
        const auto replay = post(central, "/v1/submissions", tmp / "f.der", { CMS, idem });
        CHECK(replay.status == 200);
        CHECK(replay.raw == first.raw);
    }
    CHECK(storedCases(tmp / "central.db").size() == 1);
}

TEST_CASE("two centrals sharing one PostgreSQL database register a filing posted to both at once "
          "as one case, and number concurrent filings without gaps or repeats",
    "[central][fleet][storage][.][pgonly]")
{
    // Hidden ([.]): only the network-pg/ registration (TEST_SPEC "[storage]") runs it.
    REQUIRE(testingPostgres());
    TempDir tmp;
    // The same db path is the same PostgreSQL database: two instances of a fleet. Each holds a new
    // submission 1.5 s, so the two posts overlap in both centrals.
    const std::vector<std::string> slow { "--processing-delay-ms", "1500" };
    RunningCentral a(pkiDir(), tmp / "central.db", "central-server", 0, "central-receipt", slow);
    RunningCentral b(pkiDir(), tmp / "central.db", "central-server", 0, "central-receipt", slow);
    writeFile(tmp / "one.der", sealFiling("fleet"));
    const std::string key = "Idempotency-Key: 5d1c2b3a-ffff-4bbb-8ccc-dddddddddddd";
    auto racer = [&](const RunningCentral* central, const char* name) {
        fs::copy_file(tmp / "one.der", tmp / name);
        return post(*central, "/v1/submissions", tmp / name, { CMS, key });
    };
    auto first = std::async(std::launch::async, racer, &a, "a.der");
    auto second = std::async(std::launch::async, racer, &b, "b.der");
    const Http atA = first.get();
    const Http atB = second.get();
    std::vector<int> statuses { atA.status, atB.status };
    std::sort(statuses.begin(), statuses.end());
    // One registers it; the other, waiting for the first's commit, finds it and answers the same
    // signed receipt as a replay.
    REQUIRE(statuses == std::vector<int> { 200, 201 });
    CHECK(atA.raw == atB.raw);
    REQUIRE(storedCases(tmp / "central.db").size() == 1);

    // Eight more filings, four to each central at once: eight distinct, consecutive numbers.
    std::vector<std::future<Http>> filings;
    std::vector<std::string> keys;
    for (int i = 0; i < 8; ++i) {
        writeFile(
            tmp / ("f" + std::to_string(i) + ".der"), sealFiling("fleet " + std::to_string(i)));
        keys.push_back(network::newUuid());
    }
    for (int i = 0; i < 8; ++i) {
        const auto der = tmp / ("f" + std::to_string(i) + ".der");
        filings.push_back(std::async(std::launch::async, [&, der, i] {
            return post(i % 2 ? b : a, "/v1/submissions", der,
                { CMS, "Idempotency-Key: " + keys[static_cast<std::size_t>(i)] });
        }));
    }
    const network::ReceiptVerifier verifier(pkiDir() / "central-receipt.pem");
    std::vector<std::string> numbers;
    for (std::size_t i = 0; i < filings.size(); ++i) {
        const Http answer = filings[i].get();
        REQUIRE(answer.status == 201);
        const auto der = tmp / ("f" + std::to_string(i) + ".der");
        numbers.push_back(verifier.verify(answer.raw, bytesOf(readFile(der)), keys[i]).caseNumber);
    }
    std::sort(numbers.begin(), numbers.end());
    const auto cases = storedCases(tmp / "central.db");
    REQUIRE(cases.size() == 9);
    const std::string day = cases[0]["caseNumber"].get<std::string>().substr(0, 7);
    for (int i = 0; i < 8; ++i) {
        char expected[16];
        std::snprintf(expected, sizeof expected, "-%04d", i + 2);
        CHECK(numbers[static_cast<std::size_t>(i)] == day + expected);
    }
}

TEST_CASE("central survives the loss of its PostgreSQL sessions: after at most one 503 a filing "
          "is registered again, with synchronous commits and the timeouts still in force",
    "[central][storage][.][pgonly]")
{
    REQUIRE(testingPostgres());
    TempDir tmp;
    const fs::path db = tmp / "central.db";
    centralDb(db); // creates the database
    // Sessions that do not set synchronous_commit themselves commit without waiting for the WAL.
    queryCentralDb(db,
        "DO $$BEGIN EXECUTE format('ALTER DATABASE %I SET synchronous_commit = off',"
        " current_database()); END$$");
    RunningCentral central(pkiDir(), db, "central-server", 0, "central-receipt");
    // Each case records the settings of the session that inserted it (central's own).
    queryCentralDb(db,
        "CREATE TABLE probe (case_number TEXT, settings TEXT);"
        " CREATE FUNCTION probe() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN"
        " INSERT INTO probe VALUES (NEW.case_number, concat_ws(' ',"
        " current_setting('synchronous_commit'), current_setting('lock_timeout'),"
        " current_setting('statement_timeout'),"
        " current_setting('idle_in_transaction_session_timeout'))); RETURN NEW; END$$;"
        " CREATE TRIGGER probe AFTER INSERT ON cases FOR EACH ROW EXECUTE FUNCTION probe()");
    writeFile(tmp / "a.der", sealFiling("before"));
    submit(central, tmp / "a.der", network::newUuid());

    const auto killed = queryCentralDb(db,
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
        " WHERE datname = current_database() AND pid <> pg_backend_pid()");
    REQUIRE(killed.ok);
    CHECK(std::stoi(killed.output) >= 2); // the writer and the reader

    writeFile(tmp / "b.der", sealFiling("after"));
    const std::string key = "Idempotency-Key: " + network::newUuid();
    std::vector<int> statuses;
    for (int attempt = 0; attempt < 3; ++attempt) {
        const auto answer = post(central, "/v1/submissions", tmp / "b.der", { CMS, key });
        statuses.push_back(answer.status);
        if (answer.status != 503) break; // a lost session is "storage unavailable"
    }
    INFO("statuses " << Catch::Detail::stringify(statuses));
    REQUIRE(statuses.back() == 201);
    CHECK(statuses.size() <= 2);
    REQUIRE(storedCases(db).size() == 2);
    const auto probed = queryCentralDb(db, "SELECT settings FROM probe ORDER BY case_number");
    REQUIRE(probed.ok);
    CHECK(probed.output == "on 5s 15s 30s\non 5s 15s 30s\n");
}

TEST_CASE("centralDbContains finds a plaintext stored in a PostgreSQL bytea column (the control of "
          "the tests that check what is not stored)",
    "[central][storage][.][pgonly]")
{
    REQUIRE(testingPostgres());
    TempDir tmp;
    const fs::path db = tmp / "central.db";
    centralDb(db);
    CHECK_FALSE(centralDbContains(db, "林測試-control-Z100000001"));
    queryCentralDb(db,
        "CREATE TABLE control (b BYTEA);"
        " INSERT INTO control VALUES (convert_to('前 林測試-control-Z100000001 後', 'UTF8'))");
    CHECK(centralDbContains(db, "林測試-control-Z100000001"));
}

namespace
{
// A TCP proxy on 127.0.0.1 to 127.0.0.1:target that can go silent: it keeps every connection
// open but stops passing bytes either way (a stuck middlebox: the kernel still acknowledges
// what arrives, so neither tcp_user_timeout nor keepalives notice), and passes them again later.
class SilentProxy
{
public:
    explicit SilentProxy(int target)
        : target_(target)
    {
        listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        REQUIRE(listener_ >= 0);
        sockaddr_in address {};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        REQUIRE(::bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
        REQUIRE(::listen(listener_, 16) == 0);
        socklen_t size = sizeof address;
        REQUIRE(::getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &size) == 0);
        port_ = ntohs(address.sin_port);
        acceptor_ = std::thread([this] { acceptLoop(); });
    }
    ~SilentProxy()
    {
        stopping_ = true;
        acceptor_.join();
        for (auto& pump : pumps_)
            pump.join();
        for (const int fd : fds_)
            ::close(fd);
        ::close(listener_);
    }
    SilentProxy(const SilentProxy&) = delete;
    SilentProxy& operator=(const SilentProxy&) = delete;
    int port() const noexcept { return port_; }
    void silent(bool on) { silent_ = on; }

private:
    void acceptLoop()
    {
        while (!stopping_) {
            pollfd p { listener_, POLLIN, 0 };
            if (::poll(&p, 1, 50) <= 0) continue;
            const int client = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
            if (client < 0) continue;
            const int server = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
            sockaddr_in address {};
            address.sin_family = AF_INET;
            address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
            address.sin_port = htons(static_cast<std::uint16_t>(target_));
            if (::connect(server, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
                ::close(server);
                ::close(client);
                continue;
            }
            fds_.insert(fds_.end(), { client, server });
            pumps_.emplace_back([this, client, server] { pump(client, server); });
            pumps_.emplace_back([this, client, server] { pump(server, client); });
        }
    }
    void pump(int from, int to)
    {
        char buffer[16384];
        while (!stopping_) {
            if (silent_) { // nothing read, nothing sent, nothing closed
                std::this_thread::sleep_for(std::chrono::milliseconds(20));
                continue;
            }
            pollfd p { from, POLLIN, 0 };
            if (::poll(&p, 1, 50) <= 0 || silent_) continue;
            const ssize_t got = ::read(from, buffer, sizeof buffer);
            if (got <= 0) {
                ::shutdown(to, SHUT_WR);
                return;
            }
            for (ssize_t sent = 0; sent < got;) {
                const ssize_t n
                    = ::send(to, buffer + sent, static_cast<std::size_t>(got - sent), MSG_NOSIGNAL);
                if (n <= 0) return;
                sent += n;
            }
        }
    }

    int target_;
    int listener_ = -1;
    int port_ = 0;
    std::atomic<bool> silent_ { false };
    std::atomic<bool> stopping_ { false };
    std::thread acceptor_;
    std::vector<std::thread> pumps_; // only the acceptor adds, joined after it
    std::vector<int> fds_;
};
} // namespace

TEST_CASE("central on PostgreSQL over TCP whose link goes silent without closing answers 503 "
          "within its timeout instead of hanging, and registers filings again once the link works",
    "[central][storage][.][pgonly]")
{
    // Hidden ([.]): only the network-pg/ registration runs it. A cluster of its own listening on
    // 127.0.0.1 (the shared one has no TCP), reached through SilentProxy.
    REQUIRE(testingPostgres());
    TempDir tmp;
    const auto cluster = PostgresCluster::withTcp(unusedPort());
    cluster->createDatabase("halfopen");
    SilentProxy proxy(cluster->tcpPort());
    // Central's answer deadline is the URI's tcp_user_timeout (2 s here, 15 s by default), and a
    // new session may take connect_timeout (2 s) to fail.
    const std::string uri = "postgresql://postgres@127.0.0.1:" + std::to_string(proxy.port())
        + "/halfopen?tcp_user_timeout=2000&connect_timeout=2";
    RunningCentral central(
        pkiDir(), tmp / "central.db", "central-server", 0, "central-receipt", { "--db", uri });
    writeFile(tmp / "a.der", sealFiling("before"));
    submit(central, tmp / "a.der", network::newUuid());

    proxy.silent(true);
    writeFile(tmp / "b.der", sealFiling("during"));
    const std::string key = "Idempotency-Key: " + network::newUuid();
    const auto start = std::chrono::steady_clock::now();
    const auto during = post(central, "/v1/submissions", tmp / "b.der", { CMS, key });
    const auto waited = std::chrono::steady_clock::now() - start;
    CHECK(during.status == 503);
    // The call's 2 s, a new session's 2 s, and the retry's: well under curl's 60 s.
    CHECK(waited < std::chrono::seconds(12));
    CHECK(waited >= std::chrono::seconds(2));

    proxy.silent(false);
    std::vector<int> statuses;
    for (int attempt = 0; attempt < 3; ++attempt) {
        const auto answer = post(central, "/v1/submissions", tmp / "b.der", { CMS, key });
        statuses.push_back(answer.status);
        if (answer.status == 201) break;
    }
    INFO("statuses after the link works again: " << statuses.size());
    CHECK(statuses.back() == 201);
    CHECK(statuses.size() <= 2);
    CHECK(cluster->query("halfopen", "SELECT count(*) FROM cases") == "2\n");
    CHECK(central.stop() == 0);
}
