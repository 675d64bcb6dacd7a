// The validator table shared with central (tests/forms/validation_cases.json: the seeds' limits),
// run against the kiosk's validator in process, as the answers of the filing the kiosk sends.
#include "kiosk/core/validation.hpp"
#include "validation_table.hpp"

#include <catch2/catch.hpp>
#include <map>

using namespace shensu::kiosk;
namespace table = shensu::testing::forms;

TEST_CASE("validator table (seed limits): the kiosk's verdicts")
{
    std::map<std::string, Form> forms;
    for (const char* file : { SHENSU_ASSETS_DIR "/forms/dgpa-complaint.v1.json",
             SHENSU_ASSETS_DIR "/forms/mol-wbrs-enterprise.stage1.v1.json",
             SHENSU_FORMS_TEST_DIR "/requiredwhen-test.v1.json" }) {
        Form form = loadForm(file);
        forms.emplace(form.id, std::move(form));
    }
    const auto cases = table::loadTable(SHENSU_FORMS_TEST_DIR "/validation_cases.json");
    REQUIRE(cases.size() >= 40);
    for (const auto& c : cases) {
        INFO(c.name);
        const auto found = forms.find(c.filing["form"]["id"].get<std::string>());
        if (c.unknownForm) {
            CHECK(found == forms.end());
            continue;
        }
        REQUIRE(found != forms.end());
        const auto issues = validateFilingAnswers(
            found->second, c.filing["answers"], c.filing["filer"] != "anonymous");
        std::set<std::string> fields;
        for (const auto& i : issues)
            fields.insert(i.field);
        CHECK(fields == c.invalid);
    }
}
