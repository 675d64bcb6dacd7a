// The complaint form as data (assets/forms/*.json): fields, choices, limits and patterns.
#pragma once

#include <cstddef>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace shensu::kiosk
{

enum class FieldType { TEXT, MULTILINE, CHOICE };

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
    std::vector<ChoiceOption> options;
    std::string freeTextId; // answer id of the free text that goes with a freeText option
    std::size_t freeTextMaxLength = 0;
    bool prefillFromCard = false; // filled with the card holder's name after a card login
};

struct Form {
    std::string id;
    int version = 0;
    std::string titleKey;
    std::string introKey;
    std::vector<FormField> fields;

    const FormField* field(const std::string& id) const noexcept;
    // Every i18n key the form refers to.
    std::vector<std::string> keys() const;
};

// Throws std::runtime_error naming the problem when the document is not a valid form.
Form parseForm(const nlohmann::json& document);
Form loadForm(const std::filesystem::path& file);

} // namespace shensu::kiosk
