// End to end, the case progress query (案件進度查詢, issue 4 point 5): a real kiosk (headless)
// files a case with a real central, central's operator advances it (`shensu-central case
// advance`), and the kiosk's query shows the status in the seed's wording; a wrong code gets the
// generic answer, a typo never reaches central, the rate limit and an unreachable central each
// get their message.
#include "central.hpp"
#include "kiosk.hpp"

#include <catch2/catch.hpp>
#include <cstdio>
#include <fstream>

using namespace shensu::testing;
using nlohmann::json;

namespace
{

json tap(const std::string& id)
{
    return { { "cmd", "tap" }, { "id", id } };
}
bool isEvent(const json& e, const char* name)
{
    return e.value("event", "") == name;
}

// An anonymous filing (no card): its receipt event.
json fileAnonymously(KioskSession& kiosk)
{
    kiosk.confirmAnonymousFiling();
    const json submitted = kiosk.waitFor([](const json& e) { return isEvent(e, "submitted"); });
    kiosk.send(tap("submitted.done"));
    kiosk.waitForScreen("home");
    return submitted;
}

// Types on the case-query keypads: the case number's digits (its '-' is the kiosk's), then the
// code, then 查詢.
void query(KioskSession& kiosk, const std::string& caseNumber, const std::string& code)
{
    kiosk.send(tap("case_query.case_number"));
    kiosk.send(tap("case_query.clear"));
    for (const char c : caseNumber)
        if (c != '-') kiosk.send(tap(std::string("case_query.digit.") + c));
    kiosk.send(tap("case_query.code"));
    kiosk.send(tap("case_query.clear"));
    for (const char c : code)
        kiosk.send(tap(std::string("case_query.digit.") + c));
    kiosk.send(tap("case_query.submit"));
}

json nextQueryMessage(KioskSession& kiosk)
{
    return kiosk.waitFor([](const json& e) { return isEvent(e, "case_query"); });
}

// "民國 115 年 11 月 23 日" (not std::regex: g++ 12 warns inside it).
bool isRocDate(const json& value)
{
    if (!value.is_string()) return false;
    const std::string text = value.get<std::string>();
    int year = 0;
    int month = 0;
    int day = 0;
    char tail = 0;
    return std::sscanf(text.c_str(), "民國 %d 年 %d 月 %d 日%c", &year, &month, &day, &tail) == 3
        && year >= 100 && month >= 1 && month <= 12 && day >= 1 && day <= 31;
}

// Another well-formed code: one digit changed and the Luhn digit made right again.
std::string otherWellFormedCode(const std::string& code)
{
    std::string other = code;
    other[0] = other[0] == '9' ? '1' : static_cast<char>(other[0] + 1);
    for (char check = '0'; check <= '9'; ++check) {
        other[15] = check;
        int sum = 0;
        for (std::size_t i = 0; i < 16; ++i) {
            int d = other[15 - i] - '0';
            if (i % 2 == 1) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
            sum += d;
        }
        if (sum % 10 == 0) return other;
    }
    return other;
}

} // namespace

TEST_CASE("A case filed at the kiosk and advanced at central shows its status in the seed's "
          "wording, and a wrong code, a typo, the rate limit and an unreachable central each get "
          "their message")
{
    TempDir dir;
    makeTestPki(dir.path() / "pki");
    // Three queries per case number and kiosk, then one per three minutes.
    const auto workflow = dir.path() / "workflow.json";
    std::ofstream(workflow) << R"({"statusQueries":{"perCase":{"burst":3,"intervalMs":180000}}})";
    const auto db = dir.path() / "central.sqlite";
    RunningCentral central(dir.path() / "pki", db, "central-server", 0, "central-receipt",
        { "--workflow", workflow.string() });
    KioskSession kiosk(
        writeKioskConfig({ dir.path() / "pki", dir.path(), central.url(), central.resolve() }));

    const json receipt = fileAnonymously(kiosk);
    const std::string caseNumber = receipt["caseNumber"];
    const std::string code = receipt["verificationCode"];
    REQUIRE(code.size() == 16);

    const auto advanced = run({ (binDir() / "shensu-central").string(), "case", "advance", "--db",
        db.string(), caseNumber, "--to", "forwarded" });
    REQUIRE(advanced.exitCode == 0);

    // 1st query at central: the status, in central's (the seed's) words, dates as 民國 dates.
    kiosk.send(tap("home.case_query"));
    kiosk.waitForScreen("case_query");
    query(kiosk, caseNumber, code);
    const json status = kiosk.waitFor([](const json& e) { return isEvent(e, "case_status"); });
    CHECK(status["caseNumber"] == caseNumber);
    CHECK(status["status"] == "forwarded");
    CHECK(status["statusText"] == "已轉交權責機關");
    CHECK(isRocDate(status["receivedAt"]));
    CHECK(isRocDate(status["statusAt"]));
    CHECK(isRocDate(status["initialReportDue"]));
    CHECK(isRocDate(status["resultReportDue"]));
    kiosk.send(tap("case_status.done"));
    kiosk.waitForScreen("home");

    // 2nd: a wrong (but well-formed) code gets the generic answer.
    kiosk.send(tap("home.case_query"));
    kiosk.waitForScreen("case_query");
    query(kiosk, caseNumber, otherWellFormedCode(code));
    json message = nextQueryMessage(kiosk);
    CHECK(message["key"] == "case_query.not_found");
    CHECK(message["message"].get<std::string>().find("查無資料或驗證碼錯誤") != std::string::npos);
    const json notFound = message;

    // A typo (the Luhn digit does not match) is told at once and costs no query at central.
    std::string typo = code;
    typo[3] = typo[3] == '0' ? '1' : '0';
    query(kiosk, caseNumber, typo);
    message = nextQueryMessage(kiosk);
    CHECK(message["key"] == "case_query.code_typo");

    // An unknown case number gets the same answer, word for word (its own rate-limit bucket).
    const std::string unknownCase = caseNumber.substr(0, 8) + "9999";
    query(kiosk, unknownCase, code);
    message = nextQueryMessage(kiosk);
    CHECK(message == notFound);

    // The 3rd query of this case number (the typo did not count), then the 4th: over the limit.
    query(kiosk, caseNumber, otherWellFormedCode(code));
    message = nextQueryMessage(kiosk);
    CHECK(message["key"] == "case_query.not_found");
    query(kiosk, caseNumber, code);
    message = nextQueryMessage(kiosk);
    CHECK(message["key"] == "case_query.rate_limited");
    // Central's Retry-After counts down from the first query of the case (the bucket refills one
    // query per 3 minutes): 3 minutes when the test runs fast, 2 when a loaded machine took over a
    // minute to get here (seen under load).
    CHECK((message["message"] == "查詢次數過多，請於 3 分鐘後再試。"
        || message["message"] == "查詢次數過多，請於 2 分鐘後再試。"));

    // Central gone: a clear message, not the generic one.
    REQUIRE(central.stop() == 0);
    query(kiosk, unknownCase, code);
    message = nextQueryMessage(kiosk);
    CHECK(message["key"] == "case_query.unreachable");

    // 結束: the session ends; nothing of the query is kept. Back in case_query, 查詢 with untouched
    // boxes finds no case number; with the number typed again, no code.
    kiosk.send(tap("common.finish"));
    kiosk.waitForScreen("home");
    kiosk.send(tap("home.case_query"));
    kiosk.waitForScreen("case_query");
    kiosk.send(tap("case_query.submit"));
    CHECK(nextQueryMessage(kiosk)["key"] == "case_query.case_number_incomplete");
    kiosk.send(tap("case_query.case_number"));
    for (const char c : caseNumber)
        if (c != '-') kiosk.send(tap(std::string("case_query.digit.") + c));
    kiosk.send(tap("case_query.submit"));
    CHECK(nextQueryMessage(kiosk)["key"] == "case_query.code_incomplete");
    kiosk.send(tap("case_query.cancel"));
    kiosk.waitForScreen("home");
    CHECK(kiosk.quit() == 0);

    // Logs carry neither the code nor the case number.
    const std::string text = readFile(kiosk.stderrPath());
    CHECK(text.find(code) == std::string::npos);
    CHECK(text.find(caseNumber) == std::string::npos);
}
