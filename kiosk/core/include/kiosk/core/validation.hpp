// Checks the answers against the form: required fields, lengths, patterns. Pure.
#pragma once

#include "kiosk/core/catalogue.hpp"
#include "kiosk/core/form.hpp"

#include <map>
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
std::vector<ValidationIssue> validate(const Form& form, const Answers& answers, bool identified);

} // namespace shensu::kiosk
