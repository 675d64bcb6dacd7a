// Central runs the kiosk's validator (issue 4 point 1): the shared table of the seeds' limits
// (tests/forms/validation_cases.json) against central's checkFiling in process, and the cases
// marked "central" sealed as the test kiosk and posted through a real shensu-central --forms,
// which must give the same verdicts (201, or 422 naming the same fields and no values).
#include "central.hpp"
#include "filing_check.hpp"
#include "pki.hpp"
#include "process.hpp"
#include "validation_table.hpp"

#include <kiosk/core/validation.hpp>
#include <network/identity_assertion.hpp>
#include <network/outbox.hpp>
#include <network/protocol.hpp>
#include <network/seal.hpp>

#include <algorithm>
#include <catch2/catch.hpp>

using namespace shensu;
using namespace shensu::testing;
namespace table = shensu::testing::forms;

namespace
{

// The real form files and the table's own test form, in one directory as central takes them.
std::filesystem::path formsDir(const TempDir& dir)
{
    const auto forms = dir.path() / "forms";
    std::filesystem::create_directories(forms);
    for (const auto& entry : std::filesystem::directory_iterator(sourceDir() / "assets" / "forms"))
        std::filesystem::copy_file(entry.path(), forms / entry.path().filename());
    std::filesystem::copy_file(sourceDir() / "tests" / "forms" / "requiredwhen-test.v1.json",
        forms / "requiredwhen-test.v1.json");
    return forms;
}

std::set<std::string> fieldSet(const nlohmann::json& fields)
{
    std::set<std::string> out;
    for (const auto& f : fields)
        out.insert(f.get<std::string>());
    return out;
}

// An ISO 8601 UTC stamp, minutes from now.
std::string utcStamp(int minutes)
{
    const std::time_t c = std::chrono::system_clock::to_time_t(
        std::chrono::system_clock::now() + std::chrono::minutes(minutes));
    std::tm tm {};
    gmtime_r(&c, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

// A health-card filer posted to a real central carries central's identity assertion (as after a
// login), made now, so that central's filer check lets the answers reach the validator.
nlohmann::json asPosted(nlohmann::json filing, const std::filesystem::path& pki)
{
    if (!filing["filer"].is_object()) return filing;
    const network::AssertionSigner signer(pki / "central-receipt.pem", pki / "central-receipt.key");
    filing["filer"]["assertion"] = signer.sign(
        { network::newUuid(), "nhi", "000012345678", filing["filer"]["name"].get<std::string>(),
            "測試市政府人事處", "KIOSK-TEST-01", utcStamp(-1), utcStamp(30) });
    filing["createdAt"] = utcStamp(0);
    return filing;
}
} // namespace

TEST_CASE(
    "validator table (seed limits): central's checkFiling gives the kiosk's verdicts", "[forms]")
{
    TempDir dir;
    const auto registry = central::FormRegistry::load(formsDir(dir));
    CHECK(registry.size() == 3);
    const auto cases
        = table::loadTable((sourceDir() / "tests" / "forms" / "validation_cases.json").string());
    for (const auto& c : cases) {
        INFO(c.name);
        const auto verdict = central::checkFiling(registry, c.filing);
        CHECK(verdict.ok == (c.invalid.empty() && !c.unknownForm));
        if (c.unknownForm) CHECK(verdict.error == "unknown form");
        std::set<std::string> fields(verdict.fields.begin(), verdict.fields.end());
        CHECK(fields == c.invalid);
    }
}

TEST_CASE("validator table (seed limits): a real central refuses invalid answers with 422 and "
          "the field ids, and registers valid ones",
    "[forms]")
{
    TempDir dir;
    makeTestPki(dir.path() / "pki");
    const auto pki = dir.path() / "pki";
    RunningCentral central(pki, dir.path() / "central.sqlite", "central-server", 0,
        "central-receipt", { "--forms", formsDir(dir).string() });
    const network::Sealer sealer(
        pki / "kiosk-device.pem", pki / "kiosk-device.key", pki / "central-encryption.pem");
    const auto cases
        = table::loadTable((sourceDir() / "tests" / "forms" / "validation_cases.json").string());
    int posted = 0;
    int registered = 0;
    for (const auto& c : cases) {
        if (!c.central) continue;
        INFO(c.name);
        const auto sealed = sealer.seal(network::protocol::canonicalBytes(asPosted(c.filing, pki)));
        const auto body = dir.path() / ("filing-" + std::to_string(posted) + ".der");
        writeFile(body, std::string(sealed.begin(), sealed.end()));
        char key[64];
        std::snprintf(key, sizeof key, "Idempotency-Key: 0a0b0c0d-0000-4000-8000-%012d", posted);
        ++posted;
        const auto r = run({ "curl", "-sS", "--tlsv1.3", "--resolve", central.resolve(), "--cacert",
            (pki / "central-ca.pem").string(), "--capath", "/nonexistent", "--cert",
            (pki / "kiosk-device.pem").string(), "--key", (pki / "kiosk-device.key").string(), "-H",
            "Content-Type: application/cms", "-H", key, "--data-binary", "@" + body.string(), "-w",
            "\n%{http_code}", central.url() + "/v1/submissions" });
        REQUIRE(r.exitCode == 0);
        const auto cut = r.output.rfind('\n');
        const int status = std::stoi(r.output.substr(cut + 1));
        const auto answer = nlohmann::json::parse(r.output.substr(0, cut), nullptr, false);
        if (c.invalid.empty() && !c.unknownForm) {
            CHECK(status == 201);
            ++registered;
            continue;
        }
        CHECK(status == 422);
        REQUIRE(answer.is_object());
        REQUIRE(answer.contains("fields"));
        CHECK(
            answer["error"] == (c.unknownForm ? "unknown form" : "answers do not match the form"));
        CHECK(fieldSet(answer["fields"]) == c.invalid);
        // Field ids only: none of the answers' values comes back.
        for (const auto& [id, value] : c.filing["answers"].items()) {
            if (!value.is_string()) continue;
            const std::string text = value.get<std::string>();
            const bool partOfAnId = std::any_of(c.invalid.begin(), c.invalid.end(),
                [&](const std::string& field) { return field.find(text) != std::string::npos; });
            // A person's words (non-ASCII) and numbers; option ids like "no" are not values.
            const bool personal = std::any_of(text.begin(), text.end(), [](char ch) {
                return static_cast<unsigned char>(ch) >= 0x80 || (ch >= '0' && ch <= '9');
            });
            if (personal && !partOfAnId) CHECK(r.output.find(text) == std::string::npos);
        }
    }
    CHECK(posted >= 10);
    CHECK(
        storedCases(dir.path() / "central.sqlite").size() == static_cast<std::size_t>(registered));
    // Central's log names the kiosk and the count, not the fields' values.
    CHECK(central.stop() == 0);
    const std::string log = readFile(central.logPath());
    CHECK(log.find("answers do not match the form") != std::string::npos);
    CHECK(log.find("Z100000001") == std::string::npos);
}

TEST_CASE("central refuses to start with a forms directory it cannot load, and warns loudly "
          "without --forms",
    "[forms]")
{
    TempDir dir;
    makeTestPki(dir.path() / "pki");
    const auto pki = dir.path() / "pki";
    const auto serve = [&](const std::string& forms) {
        return run({ (binDir() / "shensu-central").string(), "serve", "--listen", "127.0.0.1:0",
                       "--cert", (pki / "central-server.pem").string(), "--key",
                       (pki / "central-server.key").string(), "--client-ca",
                       (pki / "kiosk-ca.pem").string(), "--encryption-key",
                       (pki / "central-encryption.key").string(), "--encryption-cert",
                       (pki / "central-encryption.pem").string(), "--receipt-cert",
                       (pki / "central-receipt.pem").string(), "--receipt-key",
                       (pki / "central-receipt.key").string(), "--db",
                       (dir.path() / "central.sqlite").string(), "--forms", forms },
            std::chrono::seconds(20));
    };
    const auto broken = dir.path() / "broken";
    std::filesystem::create_directories(broken);
    writeFile(broken / "dgpa-complaint.v1.json", "{\"id\": \"dgpa-complaint\", \"version\": 1");
    auto r = serve(broken.string());
    CHECK(r.exitCode == 1);
    CHECK_THAT(r.errors, Catch::Contains("dgpa-complaint.v1.json"));
    r = serve((dir.path() / "no-such-dir").string());
    CHECK(r.exitCode == 1);
    const auto empty = dir.path() / "empty";
    std::filesystem::create_directories(empty);
    r = serve(empty.string());
    CHECK(r.exitCode == 1);
    CHECK_THAT(r.errors, Catch::Contains("no form files"));

    // Without forms central still serves (existing deployments), and says so on stderr.
    RunningCentral unchecked(pki, dir.path() / "unchecked.sqlite", "central-server", 0,
        "central-receipt", { "--forms", "" });
    CHECK(unchecked.stop() == 0);
    CHECK_THAT(readFile(unchecked.logPath()), Catch::Contains("WARNING: no --forms"));
}

TEST_CASE("a flood of unknown answers is refused after 32 field ids, and a key no form could have "
          "is not echoed",
    "[forms]")
{
    TempDir dir;
    const auto registry = central::FormRegistry::load(formsDir(dir));
    nlohmann::json filing
        = { { "form", { { "id", "dgpa-complaint" }, { "version", 1 } } }, { "filer", "anonymous" },
              { "answers",
                  { { "agency", "測試市政府人事處" }, { "identity", "civil_servant" },
                      { "facts", "測試" } } } };
    // 200000 unknown keys: each one a linear search through the ids found so far took minutes.
    for (int i = 0; i < 200000; ++i)
        filing["answers"]["x" + std::to_string(i)] = "1";
    const auto verdict = central::checkFiling(registry, filing);
    CHECK_FALSE(verdict.ok);
    CHECK(verdict.fields.size() == kiosk::MAX_FILING_ISSUES);

    filing["answers"] = { { "agency", "測試市政府人事處" }, { "identity", "civil_servant" },
        { "facts", "測試" }, { "林測試 Z100000001", "1" }, { std::string(5000, 'k'), "1" } };
    const auto hidden = central::checkFiling(registry, filing);
    CHECK(hidden.fields == std::vector<std::string> { "(unreadable field id)" });
}

TEST_CASE("a form version that is not a small unsigned number is not a filing", "[forms]")
{
    TempDir dir;
    const auto registry = central::FormRegistry::load(formsDir(dir));
    nlohmann::json filing
        = { { "form", { { "id", "dgpa-complaint" }, { "version", 1 } } }, { "filer", "anonymous" },
              { "answers",
                  { { "agency", "測試市政府人事處" }, { "identity", "civil_servant" },
                      { "facts", "測試" } } } };
    CHECK(central::checkFiling(registry, filing).ok);
    for (const auto& v : { nlohmann::json(-1), nlohmann::json(4294967297ULL), nlohmann::json(1.5),
             nlohmann::json("1") }) {
        INFO(v.dump());
        filing["form"]["version"] = v;
        CHECK(central::checkFiling(registry, filing).error == "not a filing");
    }
}
