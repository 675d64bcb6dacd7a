// Validation of the answers: what is missing, too long or malformed, as i18n keys.
#include "kiosk/core/validation.hpp"

#include "kiosk/core/text.hpp"

#include <regex>

namespace shensu::kiosk
{

namespace
{

    std::string answer(const Answers& answers, const std::string& id)
    {
        const auto it = answers.find(id);
        return it == answers.end() ? std::string {} : it->second;
    }

    void checkLength(std::vector<ValidationIssue>& issues, const std::string& id,
        const std::string& value, std::size_t maxLength)
    {
        if (maxLength != 0 && codePoints(value) > maxLength) {
            issues.push_back(
                { id, "validation.too_long", { { "max", std::to_string(maxLength) } } });
        }
    }

} // namespace

std::vector<ValidationIssue> validate(const Form& form, const Answers& answers, bool identified)
{
    std::vector<ValidationIssue> issues;
    for (const auto& f : form.fields) {
        const std::string value = answer(answers, f.id);
        const bool required = f.required == Requirement::ALWAYS
            || (f.required == Requirement::IDENTIFIED && identified);
        if (isBlank(value)) {
            if (required)
                issues.push_back({ f.id,
                    f.type == FieldType::CHOICE ? "validation.choose" : "validation.required",
                    {} });
            continue;
        }
        if (f.type == FieldType::CHOICE) {
            const ChoiceOption* chosen = nullptr;
            for (const auto& o : f.options) {
                if (o.id == value) chosen = &o;
            }
            if (chosen == nullptr) {
                issues.push_back({ f.id, "validation.choose", {} });
            } else if (chosen->freeText) {
                const std::string other = answer(answers, f.freeTextId);
                if (isBlank(other)) {
                    issues.push_back({ f.freeTextId, "validation.required", {} });
                } else {
                    checkLength(issues, f.freeTextId, other, f.freeTextMaxLength);
                }
            }
            continue;
        }
        checkLength(issues, f.id, value, f.maxLength);
        if (!f.pattern.empty() && !std::regex_match(value, std::regex(f.pattern))) {
            issues.push_back({ f.id, f.patternMessageKey, {} });
        }
    }
    return issues;
}

} // namespace shensu::kiosk
