// The case query (案件進度查詢, issue 4 point 5) as sentences: keypads, the kiosk's own checks
// before anything is sent, central's answers, and the wipe when the session ends.
#include "core_fixture.hpp"

#include <catch2/catch.hpp>
#include <limits>

using namespace shensu::kiosk;
using namespace shensu::kiosk::test;

namespace
{

constexpr const char* GOOD_CODE = "1234567890123452"; // Luhn check digit 2
constexpr const char* CASE_DIGITS = "11511230001";

void typeDigits(Kiosk& k, QueryField field, const std::string& digits)
{
    for (const char c : digits)
        k.send(QueryKey { field, c });
}

Kiosk atQuery()
{
    Kiosk k;
    k.send(ChooseCaseQuery {});
    return k;
}

} // namespace

TEST_CASE("case query: home leads to the keypads, a session like a filing")
{
    Kiosk k = atQuery();
    CHECK(k.state.screen == Screen::CASE_QUERY);
    CHECK(inSession(k.state));
    CHECK(k.state.noticeKey.empty());
    CHECK(k.state.queryField == QueryField::CASE_NUMBER);
}

TEST_CASE("case query: keypads take digits only, up to each field's length")
{
    Kiosk k = atQuery();
    typeDigits(k, QueryField::CASE_NUMBER, "1151123000123456789");
    CHECK(k.state.queryCaseNumber == "115112300012345"); // 15 digits at most
    CHECK(k.state.queryField == QueryField::CODE); // full: the keys move on to the code
    k.send(QueryKey { QueryField::CASE_NUMBER, '<' });
    CHECK(k.state.queryCaseNumber == "11511230001234");
    k.send(QueryKey { QueryField::CASE_NUMBER, 'x' });
    k.send(QueryKey { QueryField::CASE_NUMBER, '-' });
    CHECK(k.state.queryCaseNumber == "11511230001234");
    k.send(QueryKey { QueryField::CASE_NUMBER, 'C' });
    CHECK(k.state.queryCaseNumber.empty());
    typeDigits(k, QueryField::CODE, "12345678901234529999");
    CHECK(k.state.queryCode == GOOD_CODE);
    CHECK(formatCaseNumber(CASE_DIGITS) == "1151123-0001");
    CHECK(groupDigits(GOOD_CODE) == "1234 5678 9012 3452");
}

TEST_CASE("case query: a short case number or code, or a typo in the code, is told at once and "
          "nothing is sent")
{
    Kiosk k = atQuery();
    typeDigits(k, QueryField::CASE_NUMBER, "1151123000");
    typeDigits(k, QueryField::CODE, GOOD_CODE);
    k.send(SubmitQuery {});
    CHECK(k.state.queryMessageKey == "case_query.case_number_incomplete");
    CHECK(k.state.queryField == QueryField::CASE_NUMBER);

    typeDigits(k, QueryField::CASE_NUMBER, "1");
    CHECK(k.state.queryMessageKey.empty()); // the message goes when the person types
    k.send(QueryKey { QueryField::CODE, '<' });
    k.send(SubmitQuery {});
    CHECK(k.state.queryMessageKey == "case_query.code_incomplete");

    // One digit wrong: the Luhn digit no longer matches.
    k.send(QueryKey { QueryField::CODE, '3' });
    k.send(SubmitQuery {});
    CHECK(k.state.queryMessageKey == "case_query.code_typo");
    // Two neighbours swapped (…45 2 typed as …54 2).
    k.send(QueryKey { QueryField::CODE, 'C' });
    typeDigits(k, QueryField::CODE, "1234567890123542");
    k.send(SubmitQuery {});
    CHECK(k.state.queryMessageKey == "case_query.code_typo");
    CHECK(k.state.screen == Screen::CASE_QUERY);
    CHECK(k.sent<QueryCaseStatus>().empty());
}

TEST_CASE("case query: a well-formed query goes to central with the case number's dash")
{
    Kiosk k = atQuery();
    typeDigits(k, QueryField::CASE_NUMBER, CASE_DIGITS);
    typeDigits(k, QueryField::CODE, GOOD_CODE);
    k.send(SubmitQuery {});
    CHECK(k.state.screen == Screen::CASE_QUERYING);
    const auto sent = k.sent<QueryCaseStatus>();
    REQUIRE(sent.size() == 1);
    CHECK(sent[0].caseNumber == "1151123-0001");
    CHECK(sent[0].verificationCode == GOOD_CODE);
    CHECK(sent[0].queryId == k.state.queryGeneration);

    SECTION("found: the status shows and the code is dropped")
    {
        CaseStatusView v { "1151123-0001", "forwarded", "已轉交權責機關", "2026-11-23T03:00:00Z",
            "2026-11-23T02:00:00Z", "2026-11-26", "2026-12-23", 0 };
        k.send(CaseQueryAnswered { sent[0].queryId, CaseQueryResult::FOUND, v, 0 });
        CHECK(k.state.screen == Screen::CASE_STATUS);
        CHECK(k.state.queryStatus.statusText == "已轉交權責機關");
        CHECK(k.state.queryCode.empty());
        SECTION("確認 ends the session and wipes the query")
        {
            k.send(GoHome {});
            CHECK(k.state.screen == Screen::HOME);
            CHECK(k.state.queryCaseNumber.empty());
            CHECK(k.state.queryStatus.caseNumber.empty());
            CHECK(k.state.queryStatus.statusText.empty());
        }
    }
    SECTION("not found: one generic message, the digits stay to correct")
    {
        k.send(CaseQueryAnswered { sent[0].queryId, CaseQueryResult::NOT_FOUND, {}, 0 });
        CHECK(k.state.screen == Screen::CASE_QUERY);
        CHECK(k.state.queryMessageKey == "case_query.not_found");
        CHECK(k.state.queryCaseNumber == CASE_DIGITS);
    }
    SECTION("rate limited: the minutes from Retry-After, rounded up")
    {
        k.send(CaseQueryAnswered { sent[0].queryId, CaseQueryResult::RATE_LIMITED, {}, 61 });
        CHECK(k.state.queryMessageKey == "case_query.rate_limited");
        CHECK(k.state.queryRetryMinutes == 2);
    }
    SECTION("rate limited for a few seconds still says one minute")
    {
        k.send(CaseQueryAnswered { sent[0].queryId, CaseQueryResult::RATE_LIMITED, {}, 3 });
        CHECK(k.state.queryRetryMinutes == 1);
    }
    SECTION("rate limited: a huge or negative Retry-After says 60 minutes or 1, no overflow")
    {
        k.send(CaseQueryAnswered {
            sent[0].queryId, CaseQueryResult::RATE_LIMITED, {}, std::numeric_limits<int>::max() });
        CHECK(k.state.queryRetryMinutes == 60);
        k.send(SubmitQuery {});
        k.send(
            CaseQueryAnswered { k.state.queryGeneration, CaseQueryResult::RATE_LIMITED, {}, -5 });
        CHECK(k.state.queryRetryMinutes == 1);
    }
    SECTION("malformed, unreachable, not configured: each its message")
    {
        k.send(CaseQueryAnswered { sent[0].queryId, CaseQueryResult::MALFORMED, {}, 0 });
        CHECK(k.state.queryMessageKey == "case_query.malformed");
        k.send(SubmitQuery {});
        k.send(CaseQueryAnswered { k.state.queryGeneration, CaseQueryResult::UNREACHABLE, {}, 0 });
        CHECK(k.state.queryMessageKey == "case_query.unreachable");
        k.send(SubmitQuery {});
        k.send(CaseQueryAnswered { k.state.queryGeneration, CaseQueryResult::UNAVAILABLE, {}, 0 });
        CHECK(k.state.queryMessageKey == "case_query.unavailable");
    }
    SECTION("an answer after the session ended finds nothing waiting")
    {
        k.send(AskEndSession {});
        CHECK(k.state.screen == Screen::HOME);
        CaseStatusView v { "1151123-0001", "forwarded", "已轉交權責機關", "", "", "", "", 0 };
        k.send(CaseQueryAnswered { sent[0].queryId, CaseQueryResult::FOUND, v, 0 });
        CHECK(k.state.screen == Screen::HOME);
        CHECK(k.state.queryStatus.statusText.empty());
    }
    SECTION("an old answer arriving while a new query waits is ignored (the query id, not the "
            "screen, tells them apart)")
    {
        k.send(AskEndSession {});
        REQUIRE(k.state.screen == Screen::HOME);
        k.send(ChooseCaseQuery {});
        typeDigits(k, QueryField::CASE_NUMBER, CASE_DIGITS);
        typeDigits(k, QueryField::CODE, GOOD_CODE);
        k.send(SubmitQuery {});
        REQUIRE(k.state.screen == Screen::CASE_QUERYING);
        const auto again = k.sent<QueryCaseStatus>();
        REQUIRE(again.size() == 2);
        CHECK(again[1].queryId != sent[0].queryId);
        CaseStatusView old { "1151123-0001", "forwarded", "已轉交權責機關", "", "", "", "", 0 };
        k.send(CaseQueryAnswered { sent[0].queryId, CaseQueryResult::FOUND, old, 0 });
        CHECK(k.state.screen == Screen::CASE_QUERYING);
        CHECK(k.state.queryStatus.statusText.empty());
        k.send(CaseQueryAnswered { again[1].queryId, CaseQueryResult::NOT_FOUND, {}, 0 });
        CHECK(k.state.screen == Screen::CASE_QUERY);
        CHECK(k.state.queryMessageKey == "case_query.not_found");
    }
}

TEST_CASE("case query: the idle timeout ends it and wipes the digits")
{
    Kiosk k = atQuery();
    typeDigits(k, QueryField::CASE_NUMBER, CASE_DIGITS);
    typeDigits(k, QueryField::CODE, GOOD_CODE);
    k.state.sessionWarning = std::chrono::milliseconds(0);
    StartTimer idle;
    for (const auto& t : k.sent<StartTimer>())
        if (t.timer == TimerId::SESSION_IDLE) idle = t;
    REQUIRE(idle.timer == TimerId::SESSION_IDLE);
    k.send(TimerExpired { TimerId::SESSION_IDLE, idle.generation });
    CHECK(k.state.screen == Screen::HOME);
    CHECK(k.state.noticeKey == "home.session_timed_out");
    CHECK(k.state.queryCaseNumber.empty());
    CHECK(k.state.queryCode.empty());
}

TEST_CASE("case query: dates in the person's calendar (Taipei), as 民國 params")
{
    const Params p = caseDateParams("2026-11-23T17:30:00Z"); // 01:30 on the 24th in Taipei
    REQUIRE(p.size() == 6);
    CHECK(p[0] == std::pair<std::string, std::string> { "roc", "115" });
    CHECK(p[2].second == "11");
    CHECK(p[3].second == "24");
    const Params due = caseDateParams("2026-12-31");
    CHECK(due[0].second == "115");
    CHECK(due[3].second == "31");
    CHECK(caseDateParams("2026-12-31T16:00:00Z")[1].second == "2027"); // a new year in Taipei
    CHECK(caseDateParams("").empty());
    CHECK(caseDateParams("2026-02-30").empty());
    // Only UTC (Z, or fractional seconds then Z): another offset would be shifted wrongly.
    CHECK(caseDateParams("2026-11-23T17:30:00.250Z")[3].second == "24");
    CHECK(caseDateParams("2026-11-23T17:30:00+08:00").empty());
    CHECK(caseDateParams("2026-11-23T17:30:00").empty());
    // No 民國 year 0 or before; the dashes where they belong.
    CHECK(caseDateParams("1911-12-31").empty());
    CHECK(caseDateParams("1912-01-01")[0].second == "1");
    CHECK(caseDateParams("2026/11/23").empty());
    CHECK(caseDateParams("20261-1-23").empty());
}
