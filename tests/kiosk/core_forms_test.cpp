// Forms as data: the loader's checks (errors name the file and the field), the field kinds (phone,
// e-mail, 民國 dates, multiple choice, 其他 with free text, repeatable groups, required-when), and
// the Ministry of Labor's stage-1 enterprise form (seed 001) as a form file.
#include "core_fixture.hpp"

#include <catch2/catch.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include <unistd.h>

using namespace shensu::kiosk;
using nlohmann::json;

namespace
{

const Catalogue& catalogue()
{
    static const Catalogue c = [] {
        Catalogue all = Catalogue::load(SHENSU_ASSETS_DIR "/i18n");
        all.loadFormStrings(SHENSU_ASSETS_DIR "/i18n", "mol-wbrs-enterprise-stage1");
        return all;
    }();
    return c;
}

std::shared_ptr<const Form> molForm()
{
    static const auto form = std::make_shared<const Form>(
        loadForm(SHENSU_ASSETS_DIR "/forms/mol-wbrs-enterprise.stage1.v1.json"));
    return form;
}

// The message loadForm throws for this document, written to a file named like the test's form.
std::string loadError(const json& document)
{
    const auto file = std::filesystem::temp_directory_path()
        / ("shensu-form-test-" + std::to_string(::getpid()) + ".json");
    std::ofstream(file) << document.dump();
    std::string message;
    try {
        loadForm(file);
    } catch (const std::runtime_error& e) {
        message = e.what();
    }
    std::filesystem::remove(file);
    REQUIRE_FALSE(message.empty());
    CHECK(message.find(file.string()) != std::string::npos); // the file is named
    return message;
}

json minimalForm(json fields)
{
    return { { "id", "t" }, { "version", 1 }, { "title", "form.heading" },
        { "intro", "form.intro" }, { "fields", std::move(fields) } };
}

struct MolKiosk {
    State state = initialState(molForm(), "KIOSK-TEST-01", Language::ZH_TW);
    MolKiosk()
    {
        send(ChooseAnonymous {});
        send(ConfirmAnonymous {});
    }
    std::vector<Command> send(const Event& e)
    {
        auto r = step(state, e);
        state = std::move(r.state);
        return r.commands;
    }
    void edit(const std::string& id, const std::string& value) { send(EditField { id, value }); }
    void fillValid()
    {
        edit("unit_name", "測試股份有限公司");
        edit("mail_address", "臺北市中正區測試路1號");
        edit("registered_address", "臺北市中正區測試路1號");
        edit("size", "30_99");
        edit("industry", "電腦程式設計");
        edit("reporter_name", "林測試");
        edit("reporter_phone", "02-23979298");
        edit("reporter_email", "hr@example.test");
        edit("complainant_name", "某○某");
        edit("received_date", "115/07/01");
        edit("complainant_sex", "female");
        edit("disability", "no");
        edit("staff_category", "employee");
        edit("civil_servant", "no");
        edit("age", "25_44");
        edit("nationality", "national");
        edit("respondents.0.name", "○某○");
        edit("respondents.0.sex", "male");
        edit("respondents.0.civil_servant", "no");
        edit("respondents.0.relationship", "superior_direct");
        edit("respondents.0.forms", "verbal,digital");
        edit("respondents.0.patterns", "exclusion");
    }
    std::vector<std::string> issueFields() const
    {
        std::vector<std::string> out;
        for (const auto& i : validate(*state.form, state.answers, false))
            out.push_back(i.field + ":" + i.messageKey);
        return out;
    }
};

} // namespace

TEST_CASE(
    "the Ministry of Labor stage-1 enterprise form loads, and every string it uses is in both "
    "languages")
{
    const Form& f = *molForm();
    CHECK(f.id == "mol-wbrs-enterprise-stage1");
    REQUIRE(f.field("respondents") != nullptr);
    CHECK(f.field("respondents")->type == FieldType::GROUP);
    CHECK(f.field("received_date")->type == FieldType::DATE_ROC);
    CHECK(f.field("reporter_phone")->type == FieldType::PHONE);
    for (const auto& key : f.keys()) {
        INFO(key);
        CHECK(catalogue().has(Language::ZH_TW, key));
        CHECK(catalogue().has(Language::EN, key));
    }
    // The seed's wording, word for word.
    CHECK(catalogue().text(Language::ZH_TW, "mol.patterns.exclusion")
        == "對特定人刻意排擠、忽視、冷落、不讓參與必要之重要會議、事務或活動。");
    CHECK(catalogue().text(Language::ZH_TW, "mol.respondents.label")
        == "被申訴人及通報內容資料 (被申訴者 2 人以上請自行增列)");
}

TEST_CASE("a form's own strings are in both languages, and only loaded for that form")
{
    Catalogue mol = Catalogue::load(SHENSU_ASSETS_DIR "/i18n");
    CHECK_FALSE(mol.has(Language::ZH_TW, "mol.heading"));
    mol.loadFormStrings(SHENSU_ASSETS_DIR "/i18n", "mol-wbrs-enterprise-stage1");
    CHECK(mol.keys(Language::ZH_TW) == mol.keys(Language::EN));
    CHECK(mol.text(Language::ZH_TW, "mol.heading") == "職場霸凌案件通報 (企業版)");
}

TEST_CASE("a bad form file is refused with the file and the field named")
{
    CHECK_THAT(
        loadError(minimalForm({ { { "id", "a" }, { "type", "colour" }, { "label", "x" } } })),
        Catch::Contains("field a: unknown type \"colour\""));
    CHECK_THAT(
        loadError(minimalForm({ { { "id", "a" }, { "type", "choice" }, { "label", "x" } } })),
        Catch::Contains("field a: no options"));
    CHECK_THAT(
        loadError(minimalForm({ { { "id", "g" }, { "type", "group" }, { "label", "x" },
            { "fields",
                { { { "id", "sex" }, { "type", "choice" }, { "label", "x" },
                    { "options", { { { "id", "m" }, { "label", "x" } } } },
                    { "requiredWhen", { { "field", "nope" }, { "value", "y" } } } } } } } })),
        Catch::Contains("field g.sex requiredWhen: no field \"nope\""));
    CHECK_THAT(loadError(minimalForm({ { { "id", "a" }, { "type", "text" }, { "label", "x" } },
                   { { "id", "a" }, { "type", "text" }, { "label", "y" } } })),
        Catch::Contains("field a: the id is used twice"));
    CHECK_THAT(loadError(minimalForm({ { { "id", "a" }, { "type", "text" } } })),
        Catch::Contains("field a: missing string \"label\""));
    CHECK_THAT(loadError(minimalForm({ { { "id", "a" }, { "type", "text" }, { "label", "x" },
                   { "counter", "form.facts.counter" } } })),
        Catch::Contains("field a: a counter needs maxLength"));
    // libstdc++'s regex recurses once per character: a pattern only ever sees short values.
    CHECK_THAT(loadError(minimalForm({ { { "id", "a" }, { "type", "text" }, { "label", "x" },
                   { "pattern", "[0-9]+" }, { "patternMessage", "validation.phone" } } })),
        Catch::Contains("field a: a pattern needs a maxLength of at most 256"));
    CHECK_THAT(loadError(minimalForm(
                   { { { "id", "a" }, { "type", "text" }, { "label", "x" }, { "pattern", "[0-9]+" },
                       { "patternMessage", "validation.phone" }, { "maxLength", 257 } } })),
        Catch::Contains("field a: a pattern needs a maxLength of at most 256"));
}

TEST_CASE("phone numbers: the DGPA manual's examples pass, malformed ones do not")
{
    for (const char* ok :
        { "039-2345678", "02-23979298", "0912345678", "0223979298", "02-2397-9298" }) {
        INFO(ok);
        CHECK(isTaiwanPhone(ok));
    }
    for (const char* bad : { "12345", "02-12", "2397-9298", "09-1234-5678-99999", "電話" }) {
        INFO(bad);
        CHECK_FALSE(isTaiwanPhone(bad));
    }
}

TEST_CASE("民國 dates: written or numeric, real calendar days only")
{
    const auto d = parseRocDate("民國113年12月11日");
    REQUIRE(d);
    CHECK(d->year == 113);
    CHECK(d->month == 12);
    CHECK(d->day == 11);
    CHECK(parseRocDate("115/07/01"));
    CHECK(parseRocDate("113-02-29")); // 2024 is a leap year
    CHECK_FALSE(parseRocDate("114/02/29"));
    CHECK_FALSE(parseRocDate("113/13/01"));
    CHECK_FALSE(parseRocDate("113/04/31"));
    CHECK_FALSE(parseRocDate("2024/01/01"));
}

TEST_CASE("the MOL form: a complete answer set is valid and files groups and multiple choices as "
          "lists")
{
    MolKiosk k;
    k.fillValid();
    CHECK(k.issueFields().empty());
    const json filing = buildFiling(k.state, "t");
    CHECK(filing.at("answers").at("respondents").size() == 1);
    CHECK(filing.at("answers").at("respondents")[0].at("forms") == json { "verbal", "digital" });
    CHECK(filing.at("answers").at("size") == "30_99");
    CHECK_FALSE(filing.at("answers").contains("tax_id")); // left empty: not sent
}

TEST_CASE(
    "the MOL form: 其他 in a multiple choice asks for its text, a bad date and phone are named")
{
    MolKiosk k;
    k.fillValid();
    k.edit("respondents.0.patterns", "exclusion,other");
    k.edit("received_date", "115/02/30");
    k.edit("reporter_phone", "2397");
    k.edit("tax_id", "1234");
    const auto issues = k.issueFields();
    CHECK(issues
        == std::vector<std::string> { "tax_id:validation.tax_id", "reporter_phone:validation.phone",
            "received_date:validation.date_roc",
            "respondents.0.patterns_other:validation.required" });
    k.edit("respondents.0.patterns_other", "午休時間被要求接電話");
    k.edit("received_date", "115/02/28");
    k.edit("reporter_phone", "039-2345678");
    k.edit("tax_id", "");
    CHECK(k.issueFields().empty());
    CHECK(buildFiling(k.state, "t").at("answers").at("respondents")[0].at("patterns_other")
        == "午休時間被要求接電話");
}

TEST_CASE("the MOL form: a second respondent is required once added, and removing it wipes it")
{
    MolKiosk k;
    k.fillValid();
    k.edit("respondents", "2");
    auto issues = k.issueFields();
    CHECK(std::find(issues.begin(), issues.end(), "respondents.1.name:validation.required")
        != issues.end());
    k.edit("respondents.1.name", "第二位被申訴人");
    CHECK(k.state.answers.at("respondents.1.name") == "第二位被申訴人");
    k.edit("respondents", "1");
    CHECK(k.state.answers.count("respondents.1.name") == 0);
    CHECK(k.issueFields().empty());
    // Answers outside the group's items, or for fields it does not have, are refused.
    k.edit("respondents.10.name", "x");
    k.edit("respondents.0.colour", "x");
    CHECK(k.state.answers.count("respondents.10.name") == 0);
    CHECK(k.state.answers.count("respondents.0.colour") == 0);
}

TEST_CASE("required-when: a field becomes required by a sibling's answer")
{
    const Form form = parseForm(minimalForm({
        { { "id", "agreed" }, { "type", "choice" }, { "label", "x" },
            { "options",
                { { { "id", "yes" }, { "label", "x" } }, { { "id", "no" }, { "label", "x" } } } } },
        { { "id", "result" }, { "type", "text" }, { "label", "x" },
            { "requiredWhen", { { "field", "agreed" }, { "value", "yes" } } } },
    }));
    CHECK(validate(form, { { "agreed", "no" } }, false).empty());
    const auto issues = validate(form, { { "agreed", "yes" } }, false);
    REQUIRE(issues.size() == 1);
    CHECK(issues[0].field == "result");
    CHECK(validate(form, { { "agreed", "yes" }, { "result", "成立" } }, false).empty());
}
