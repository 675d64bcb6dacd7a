// Validation of the answers: what is missing, too long or malformed, as i18n keys.
#include "kiosk/core/validation.hpp"

#include "kiosk/core/text.hpp"

#include <algorithm>
#include <regex>
#include <set>

namespace shensu::kiosk
{

namespace
{

    std::string answer(const Answers& answers, const std::string& id)
    {
        const auto it = answers.find(id);
        return it == answers.end() ? std::string {} : it->second;
    }

    // False (and the issue recorded) when the value is longer than the field allows: then no
    // pattern or kind check runs on it.
    bool checkLength(std::vector<ValidationIssue>& issues, const std::string& id,
        const std::string& value, std::size_t maxLength)
    {
        if (maxLength != 0 && codePoints(value) > maxLength) {
            issues.push_back(
                { id, "validation.too_long", { { "max", std::to_string(maxLength) } } });
            return false;
        }
        return true;
    }

    bool matches(const FormField& f, const std::string& value)
    {
        // parseForm compiles the pattern and bounds maxLength; a field built by hand is compiled
        // here. Never on a value longer than a pattern may see (the regex recurses per character).
        if (value.size() > 4 * MAX_PATTERN_LENGTH) return false;
        if (f.compiledPattern) return std::regex_match(value, *f.compiledPattern);
        return std::regex_match(value, std::regex(f.pattern));
    }

    bool contains(const std::string& value, const std::string& wanted, bool multi)
    {
        if (!multi) return value == wanted;
        for (const auto& id : splitChoices(value)) {
            if (id == wanted) return true;
        }
        return false;
    }

    const ChoiceOption* option(const FormField& f, const std::string& id)
    {
        for (const auto& o : f.options) {
            if (o.id == id) return &o;
        }
        return nullptr;
    }

    struct Checker {
        const Answers& answers;
        bool identified;
        std::vector<ValidationIssue>& issues;

        bool required(const FormField& f, const std::vector<FormField>& siblings,
            const std::string& prefix) const
        {
            if (f.required == Requirement::ALWAYS) return true;
            if (f.required == Requirement::IDENTIFIED && identified) return true;
            if (f.requiredWhenField.empty()) return false;
            for (const auto& s : siblings) {
                if (s.id == f.requiredWhenField) {
                    return contains(answer(answers, prefix + s.id), f.requiredWhenValue,
                        s.type == FieldType::MULTI_CHOICE);
                }
            }
            return false;
        }

        void choice(const FormField& f, const std::string& id, const std::string& value,
            const std::string& prefix)
        {
            const auto chosen = f.type == FieldType::MULTI_CHOICE
                ? splitChoices(value)
                : std::vector<std::string> { value };
            bool freeText = false;
            for (const auto& c : chosen) {
                const ChoiceOption* o = option(f, c);
                if (o == nullptr) {
                    issues.push_back({ id, "validation.choose", {} });
                    return;
                }
                freeText = freeText || o->freeText;
            }
            if (!freeText) return;
            const std::string otherId = prefix + f.freeTextId;
            const std::string other = answer(answers, otherId);
            if (isBlank(other)) {
                issues.push_back({ otherId, "validation.required", {} });
            } else {
                checkLength(issues, otherId, other, f.freeTextMaxLength);
            }
        }

        void fields(const std::vector<FormField>& list, const std::string& prefix)
        {
            for (const auto& f : list) {
                const std::string id = prefix + f.id;
                const std::string value = answer(answers, id);
                if (f.type == FieldType::GROUP) {
                    const std::size_t n = groupItems(f, value);
                    for (std::size_t i = 0; i < n; ++i)
                        fields(f.fields, id + "." + std::to_string(i) + ".");
                    continue;
                }
                if (isBlank(value)) {
                    if (required(f, list, prefix))
                        issues.push_back(
                            { id, f.isChoice() ? "validation.choose" : "validation.required", {} });
                    continue;
                }
                if (f.isChoice()) {
                    choice(f, id, value, prefix);
                    continue;
                }
                if (!checkLength(issues, id, value, f.maxLength)) continue;
                if (!f.pattern.empty()) {
                    if (!matches(f, value)) issues.push_back({ id, f.patternMessageKey, {} });
                    continue;
                }
                if (f.type == FieldType::PHONE && !isTaiwanPhone(value))
                    issues.push_back({ id, "validation.phone", {} });
                if (f.type == FieldType::EMAIL && !isEmail(value))
                    issues.push_back({ id, "validation.email", {} });
                if (f.type == FieldType::DATE_ROC && !parseRocDate(value))
                    issues.push_back({ id, "validation.date_roc", {} });
            }
        }
    };

    // The answers of one form level as JSON: multiple choices as arrays, groups as arrays of
    // objects, a choice's free text only when the option that asks for it was chosen.
    nlohmann::json answersJson(
        const std::vector<FormField>& fields, const Answers& all, const std::string& prefix)
    {
        nlohmann::json out = nlohmann::json::object();
        auto find = [&](const std::string& id) -> const std::string* {
            const auto it = all.find(prefix + id);
            return it == all.end() || isBlank(it->second) ? nullptr : &it->second;
        };
        for (const auto& f : fields) {
            if (f.type == FieldType::GROUP) {
                const std::string* n = find(f.id);
                const std::size_t items = groupItems(f, n == nullptr ? std::string {} : *n);
                nlohmann::json list = nlohmann::json::array();
                for (std::size_t i = 0; i < items; ++i) {
                    list.push_back(
                        answersJson(f.fields, all, prefix + f.id + "." + std::to_string(i) + "."));
                }
                out[f.id] = list;
                continue;
            }
            const std::string* value = find(f.id);
            if (value == nullptr) continue;
            if (!f.isChoice()) {
                out[f.id] = *value;
                continue;
            }
            const auto chosen = f.type == FieldType::MULTI_CHOICE
                ? splitChoices(*value)
                : std::vector<std::string> { *value };
            out[f.id] = f.type == FieldType::MULTI_CHOICE ? nlohmann::json(chosen)
                                                          : nlohmann::json(*value);
            for (const auto& o : f.options) {
                if (!o.freeText || std::find(chosen.begin(), chosen.end(), o.id) == chosen.end())
                    continue;
                if (const std::string* other = find(f.freeTextId)) out[f.freeTextId] = *other;
            }
        }
        return out;
    }

} // namespace

bool isTaiwanPhone(const std::string& value)
{
    // Landlines with their area code (039-2345678, 02-23979298), mobiles (0912345678, 0912-345678),
    // optionally an extension (#123).
    static const std::regex phone(R"(0[0-9]{1,3}-?[0-9]{3,4}-?[0-9]{3,5}(#[0-9]{1,6})?)");
    if (value.size() > 32) return false;
    std::string digits;
    for (const char c : value) {
        if (c >= '0' && c <= '9') digits += c;
        if (c == '#') break;
    }
    return std::regex_match(value, phone) && digits.size() >= 9 && digits.size() <= 11;
}

bool isEmail(const std::string& value)
{
    static const std::regex email(R"([^@\s]+@[^@\s]+\.[^@\s]+)");
    return value.size() <= 254 && std::regex_match(value, email);
}

std::optional<RocDate> parseRocDate(const std::string& value)
{
    static const std::regex numeric(R"(([0-9]{1,3})[/.-]([0-9]{1,2})[/.-]([0-9]{1,2}))");
    static const std::regex written(R"((?:民國)?([0-9]{1,3})年([0-9]{1,2})月([0-9]{1,2})日)");
    std::smatch m;
    if (value.size() > 40) return std::nullopt;
    if (!std::regex_match(value, m, numeric) && !std::regex_match(value, m, written))
        return std::nullopt;
    const RocDate d { std::stoi(m[1].str()), std::stoi(m[2].str()), std::stoi(m[3].str()) };
    if (d.year < 1 || d.month < 1 || d.month > 12 || d.day < 1) return std::nullopt;
    const int y = d.year + 1911;
    const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    static constexpr int DAYS[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    const int days = DAYS[d.month - 1] + (d.month == 2 && leap ? 1 : 0);
    if (d.day > days) return std::nullopt;
    return d;
}

namespace
{
    // The most bytes a value may have before validate() reads it: 4 bytes per code point of the
    // field's limit (UTF-8), 64 KiB for a field without one.
    std::size_t byteCap(std::size_t maxLength)
    {
        return maxLength != 0 ? 4 * maxLength : std::size_t { 64 } * 1024;
    }

    // The filing's JSON answers back into answer ids ("respondents.1.name"), the inverse of the
    // kiosk's buildFiling; what does not fit goes into issues.
    void flatten(const std::vector<FormField>& fields, const nlohmann::json& object,
        const std::string& prefix, Answers& out, std::vector<ValidationIssue>& issues)
    {
        for (const auto& [key, value] : object.items()) {
            if (issues.size() >= MAX_FILING_ISSUES) return; // a flood: enough said
            const std::string id = prefix + key;
            const FormField* field = nullptr;
            bool freeText = false;
            for (const auto& f : fields) {
                if (f.id == key) field = &f;
                if (f.isChoice() && !f.freeTextId.empty() && f.freeTextId == key) {
                    field = &f;
                    freeText = true;
                }
                if (field != nullptr) break;
            }
            if (field == nullptr) {
                issues.push_back({ id, "validation.unknown_field", {} });
                continue;
            }
            if (!freeText && field->type == FieldType::GROUP) {
                if (!value.is_array()) {
                    issues.push_back({ id, "validation.malformed", {} });
                    continue;
                }
                if (value.size() < field->minItems || value.size() > field->maxItems) {
                    issues.push_back({ id, "validation.group_items", {} });
                    continue;
                }
                out[id] = std::to_string(value.size());
                for (std::size_t i = 0; i < value.size(); ++i) {
                    const std::string itemPrefix = id + "." + std::to_string(i) + ".";
                    if (!value[i].is_object()) {
                        issues.push_back(
                            { id + "." + std::to_string(i), "validation.malformed", {} });
                        continue;
                    }
                    flatten(field->fields, value[i], itemPrefix, out, issues);
                }
                continue;
            }
            if (!freeText && field->type == FieldType::MULTI_CHOICE) {
                // An array of distinct, non-empty option ids (without ',': one id each).
                std::string joined;
                std::set<std::string> seen;
                bool ok = value.is_array() && value.size() <= field->options.size();
                for (const auto& v : ok ? value : nlohmann::json::array()) {
                    ok = v.is_string() && !v.get_ref<const std::string&>().empty()
                        && v.get_ref<const std::string&>().find(',') == std::string::npos
                        && seen.insert(v.get<std::string>()).second;
                    if (!ok) break;
                    if (!joined.empty()) joined += ',';
                    joined += v.get<std::string>();
                }
                if (ok) {
                    out[id] = joined;
                } else {
                    issues.push_back({ id, "validation.malformed", {} });
                }
                continue;
            }
            if (!value.is_string()) {
                issues.push_back({ id, "validation.malformed", {} });
                continue;
            }
            const auto& text = value.get_ref<const std::string&>();
            if (text.size() > byteCap(freeText ? field->freeTextMaxLength : field->maxLength)) {
                // Far beyond anything the kiosk could send: refused unread.
                issues.push_back({ id, "validation.malformed", {} });
                continue;
            }
            out[id] = text;
        }
        for (const auto& f : fields) {
            if (issues.size() >= MAX_FILING_ISSUES) return;
            const std::string id = prefix + f.id;
            // A group the filing leaves out still needs its minimum number of items.
            if (f.type == FieldType::GROUP && !object.contains(f.id) && f.minItems > 0) {
                issues.push_back({ id, "validation.group_items", {} });
                continue;
            }
            // Free text only goes with a chosen option that asks for it.
            if (!f.isChoice() || f.freeTextId.empty() || !out.contains(prefix + f.freeTextId))
                continue;
            const auto chosen = out.find(id);
            bool asked = false;
            if (chosen != out.end()) {
                for (const auto& c : splitChoices(chosen->second)) {
                    for (const auto& o : f.options)
                        asked = asked || (o.id == c && o.freeText);
                }
            }
            if (!asked) {
                issues.push_back({ prefix + f.freeTextId, "validation.unknown_field", {} });
                out.erase(prefix + f.freeTextId);
            }
        }
    }
} // namespace

std::vector<ValidationIssue> validateFilingAnswers(
    const Form& form, const nlohmann::json& answers, bool identified)
{
    std::vector<ValidationIssue> issues;
    if (!answers.is_object()) return { { "answers", "validation.malformed", {} } };
    Answers flat;
    flatten(form.fields, answers, "", flat, issues);
    if (issues.size() >= MAX_FILING_ISSUES) return issues;
    for (auto& issue : validate(form, flat, identified)) {
        if (issues.size() >= MAX_FILING_ISSUES) break;
        // Already reported, or inside a group (or group item) already refused as a whole.
        const bool known = std::any_of(issues.begin(), issues.end(), [&](const ValidationIssue& i) {
            return issue.field == i.field || issue.field.rfind(i.field + ".", 0) == 0;
        });
        if (!known) issues.push_back(std::move(issue));
    }
    return issues;
}

std::vector<ValidationIssue> validate(const Form& form, const Answers& answers, bool identified)
{
    std::vector<ValidationIssue> issues;
    Checker { answers, identified, issues }.fields(form.fields, "");
    return issues;
}

nlohmann::json filingAnswers(const Form& form, const Answers& answers)
{
    return answersJson(form.fields, answers, "");
}

nlohmann::json filingDocument(const Form& form, const Answers& answers, nlohmann::json filer,
    const std::string& kioskId, const std::string& createdAt)
{
    return {
        { "form", { { "id", form.id }, { "version", form.version } } },
        { "answers", filingAnswers(form, answers) },
        { "filer", std::move(filer) },
        { "kioskId", kioskId },
        { "createdAt", createdAt },
    };
}

} // namespace shensu::kiosk
