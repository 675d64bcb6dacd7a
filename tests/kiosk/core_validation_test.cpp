// Validation of the complaint form: required fields, limits, patterns, and the character counter.
#include "core_fixture.hpp"
#include "kiosk/core/text.hpp"

#include <catch2/catch.hpp>

using namespace shensu::kiosk;
using namespace shensu::kiosk::test;

namespace
{
std::vector<std::string> fieldsWithIssues(const State& s)
{
    std::vector<std::string> out;
    for (const auto& i : s.issues)
        out.push_back(i.field);
    return out;
}
const ValidationIssue& issueFor(const State& s, const std::string& field)
{
    for (const auto& i : s.issues) {
        if (i.field == field) return i;
    }
    FAIL("no issue for " << field);
    throw std::logic_error("unreachable");
}
} // namespace

TEST_CASE(
    "an empty anonymous form names agency, identity and facts as required, and stays on the form")
{
    Kiosk k;
    k.send(ChooseAnonymous {});
    k.send(ConfirmAnonymous {});
    k.send(ReviewForm {});
    CHECK(k.state.screen == Screen::FORM);
    CHECK(fieldsWithIssues(k.state) == std::vector<std::string> { "agency", "identity", "facts" });
    CHECK(issueFor(k.state, "agency").messageKey == "validation.required");
    CHECK(issueFor(k.state, "identity").messageKey == "validation.choose");
}

TEST_CASE("a health-card filer must also give job title, name and phone")
{
    Kiosk k;
    k.send(ChooseHealthCard {});
    k.send(CardInserted { READER, shensu::cardio::CardKind::HEALTH_CARD });
    k.healthCardLogin();
    k.send(ContinueWithCard {});
    k.send(EditField { "name", "　" }); // an ideographic space is still blank
    k.send(EditField { "agency", "" }); // prefilled from central's answer; the person cleared it
    k.send(ReviewForm {});
    CHECK(fieldsWithIssues(k.state)
        == std::vector<std::string> { "agency", "title", "name", "identity", "phone", "facts" });
}

TEST_CASE("editing a field clears its message only")
{
    Kiosk k;
    k.send(ChooseAnonymous {});
    k.send(ConfirmAnonymous {});
    k.send(ReviewForm {});
    k.send(EditField { "agency", "測試局" });
    CHECK(fieldsWithIssues(k.state) == std::vector<std::string> { "identity", "facts" });
}

TEST_CASE("phone numbers follow the form's examples")
{
    const auto form = realForm();
    for (const char* good :
        { "039-2345678", "02-23979298", "09123456789", "0912345678", "0223979298" }) {
        INFO(good);
        CHECK(validate(*form,
            { { "agency", "a" }, { "identity", "educator" }, { "facts", "f" }, { "phone", good } },
            false)
                  .empty());
    }
    for (const char* bad : { "12345", "02-2397-9298x", "(02)23979298", "電話", "02--23979298" }) {
        INFO(bad);
        const auto issues = validate(*form,
            { { "agency", "a" }, { "identity", "educator" }, { "facts", "f" }, { "phone", bad } },
            false);
        REQUIRE(issues.size() == 1);
        CHECK(issues[0] == ValidationIssue { "phone", "validation.phone", {} });
    }
}

TEST_CASE("e-mail addresses need a name, an @ and a domain")
{
    const auto form = realForm();
    const Answers base { { "agency", "a" }, { "identity", "educator" }, { "facts", "f" } };
    auto with = [&](const char* email) {
        auto a = base;
        a["email"] = email;
        return validate(*form, a, false);
    };
    CHECK(with("lin.test@example.gov.tw").empty());
    CHECK(with("lin.test@example").size() == 1);
    CHECK(with("lin test@example.tw").size() == 1);
    CHECK(with("@example.tw").front().messageKey == "validation.email");
    // Too long: said once, and the pattern never runs on it (a long value overflowed the stack).
    const auto tooLong = with(std::string(300000, 'a').c_str());
    REQUIRE(tooLong.size() == 1);
    CHECK(tooLong.front().messageKey == "validation.too_long");
}

TEST_CASE("the counter counts code points, not bytes: 1000 Chinese characters fit, 1001 do not")
{
    Kiosk k;
    k.send(ChooseAnonymous {});
    k.send(ConfirmAnonymous {});
    std::string text;
    for (int i = 0; i < 1000; ++i)
        text += "霸";
    REQUIRE(text.size() == 3000);
    k.send(EditField { "facts", text });
    CHECK(remainingCharacters(k.state, "facts") == 0);
    k.send(EditField { "agency", "測試局" });
    k.send(EditField { "identity", "worker" });
    k.send(ReviewForm {});
    CHECK(k.state.screen == Screen::REVIEW);

    k.send(EditAgain {});
    k.send(EditField { "facts", text + "凌" });
    CHECK(remainingCharacters(k.state, "facts") == -1);
    k.send(ReviewForm {});
    CHECK(k.state.screen == Screen::FORM);
    CHECK(issueFor(k.state, "facts")
        == ValidationIssue { "facts", "validation.too_long", { { "max", "1000" } } });
}

TEST_CASE("code points are counted across one-, two-, three- and four-byte characters")
{
    CHECK(codePoints("") == 0);
    CHECK(codePoints("abc") == 3);
    CHECK(codePoints("é") == 1);
    CHECK(codePoints("申訴") == 2);
    CHECK(codePoints("𠀀a") == 2);
    Kiosk k;
    k.send(ChooseAnonymous {});
    k.send(ConfirmAnonymous {});
    k.send(EditField { "facts", "ab申訴" });
    CHECK(remainingCharacters(k.state, "facts") == 996);
}

TEST_CASE("unknown answer ids are ignored rather than sent")
{
    Kiosk k;
    k.send(ChooseAnonymous {});
    k.send(ConfirmAnonymous {});
    k.send(EditField { "idNumber", "Z100000001" });
    CHECK(k.state.answers.count("idNumber") == 0);
}
