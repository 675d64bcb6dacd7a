// The complaint form as data (assets/forms/*.json): fields, choices, limits and patterns.
#pragma once

#include <cstddef>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <regex>
#include <string>
#include <vector>

namespace shensu::kiosk
{

// "text", "multiline", "choice" (one option), "multichoice" (any number; answer = ids joined by
// ','), "phone" (Taiwan numbers: 039-2345678, 02-23979298, 09xxxxxxxx), "email", "date_roc"
// (民國 date: 113/12/11, 113-12-11 or 民國113年12月11日), "group" (repeatable: answers
// "<group>.<n>.<field>", the number of items in "<group>").
enum class FieldType { TEXT, MULTILINE, CHOICE, MULTI_CHOICE, PHONE, EMAIL, DATE_ROC, GROUP };

// Who must fill a field: everyone, only people who logged in with a card, or nobody.
enum class Requirement { ALWAYS, IDENTIFIED, NEVER };

struct ChoiceOption {
    std::string id; // stable value stored in the answers, e.g. "civil_servant"
    std::string labelKey; // i18n key
    bool freeText = false; // choosing it asks for text in the field's freeTextId
};

struct FormField {
    std::string id;
    FieldType type = FieldType::TEXT;
    std::string labelKey;
    std::string hintKey; // placeholder / example under the field; may be empty
    std::string counterKey; // "可輸入文字：{remaining}/{max}"; may be empty
    Requirement required = Requirement::NEVER;
    std::size_t maxLength = 0; // code points; 0 = no limit
    std::string pattern; // ECMAScript regex the whole value must match when not empty
    std::string patternMessageKey;
    // The pattern compiled once by parseForm (shared by the copies of the form). A field with a
    // pattern needs 0 < maxLength <= MAX_PATTERN_LENGTH: libstdc++'s regex recurses once per
    // character, so a pattern never runs on a longer value.
    std::shared_ptr<const std::regex> compiledPattern;
    std::vector<ChoiceOption> options;
    std::string freeTextId; // answer id of the free text that goes with a freeText option
    std::size_t freeTextMaxLength = 0;
    bool prefillFromCard = false; // filled with the card holder's name after a card login
    // Required only when another answer (a sibling inside a group) equals / includes a value.
    std::string requiredWhenField;
    std::string requiredWhenValue;
    std::vector<FormField> fields; // a group's fields, per item
    std::size_t minItems = 1; // a group's number of items
    std::size_t maxItems = 1;

    bool isChoice() const noexcept
    {
        return type == FieldType::CHOICE || type == FieldType::MULTI_CHOICE;
    }
};

// The largest maxLength a field with a pattern may have (code points).
inline constexpr std::size_t MAX_PATTERN_LENGTH = 256;

// The option ids of a multiple-choice answer ("a,b" -> {"a","b"}).
std::vector<std::string> splitChoices(const std::string& answer);
// A group's number of items as stored in the answers (minItems when absent or unreadable).
std::size_t groupItems(const FormField& group, const std::string& answer);

struct Form {
    std::string id;
    int version = 0;
    std::string titleKey;
    std::string introKey;
    std::vector<FormField> fields;

    const FormField* field(const std::string& id) const noexcept;
    // The field an answer id belongs to, also inside groups ("respondents.1.name") and free texts;
    // nullptr when the form has no such answer.
    const FormField* fieldOfAnswer(const std::string& answerId) const;
    // Every i18n key the form refers to.
    std::vector<std::string> keys() const;
};

// Throws std::runtime_error naming the problem and the field ("field respondents.sex: ...") when
// the document is not a valid form; loadForm adds the file's name.
Form parseForm(const nlohmann::json& document);
Form loadForm(const std::filesystem::path& file);

} // namespace shensu::kiosk
