// Checks the answers against the form: required fields, lengths, patterns. Pure.
#pragma once

#include "kiosk/core/catalogue.hpp"
#include "kiosk/core/form.hpp"

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace shensu::kiosk
{

using Answers = std::map<std::string, std::string>;

struct ValidationIssue {
    std::string field; // answer id ("phone", "identity_other")
    std::string messageKey; // i18n key
    Params params; // e.g. {"max","1000"}
    bool operator==(const ValidationIssue&) const = default;
};

// identified = the filer logged in with a card (fields marked "identified" become required).
// Fields inside groups are reported as "<group>.<n>.<field>".
std::vector<ValidationIssue> validate(const Form& form, const Answers& answers, bool identified);

// The answers of a filing as the kiosk sends them (buildFiling's "answers": strings, multiple
// choices as arrays of option ids, groups as arrays of objects) checked against the form: what
// validate() finds, plus answers the form has no field for ("validation.unknown_field"), values
// of the wrong JSON type ("validation.malformed") and groups with too few or too many items
// ("validation.group_items"). Central runs this on every filing it opens.
// At most MAX_FILING_ISSUES issues: a filing with thousands of unknown keys is refused after the
// first ones.
inline constexpr std::size_t MAX_FILING_ISSUES = 32;
std::vector<ValidationIssue> validateFilingAnswers(
    const Form& form, const nlohmann::json& answers, bool identified);

// The one builder of a filing's answers from the answers as the kiosk keeps them (flat ids:
// "respondents" = the number of items, "respondents.0.name", multiple choices "a,b"): blank
// answers left out, multiple choices as arrays of option ids, groups as arrays of objects, a
// choice's free text only when the option that asks for it was chosen. The kiosk (buildFiling)
// and shensu-ctl file both use it.
nlohmann::json filingAnswers(const Form& form, const Answers& answers);
// The filing sent to central: {form:{id,version}, answers: filingAnswers, filer, kioskId,
// createdAt}.
nlohmann::json filingDocument(const Form& form, const Answers& answers, nlohmann::json filer,
    const std::string& kioskId, const std::string& createdAt);

// The field kinds' own checks (used when the form gives no pattern).
bool isTaiwanPhone(const std::string& value); // 039-2345678, 02-23979298, 0912345678
bool isEmail(const std::string& value);
struct RocDate {
    int year = 0; // 民國 year (Gregorian = year + 1911)
    int month = 0;
    int day = 0;
};
// "113/12/11", "113-12-11", "113.12.11", "民國113年12月11日"; nullopt unless a real calendar day.
std::optional<RocDate> parseRocDate(const std::string& value);

} // namespace shensu::kiosk
