// Canonical filing bytes and the submission receipt, as JSON.
#include <network/protocol.hpp>

#include <algorithm>

namespace shensu::network::protocol
{

std::vector<unsigned char> canonicalBytes(const nlohmann::json& filing)
{
    if (!filing.is_object()) throw ProtocolError("a filing must be a JSON object");
    std::string text;
    try {
        text = filing.dump(-1, ' ', false, nlohmann::json::error_handler_t::strict);
    } catch (const nlohmann::json::exception&) {
        throw ProtocolError("a filing must be valid UTF-8");
    }
    return std::vector<unsigned char>(text.begin(), text.end());
}

nlohmann::json parseFiling(std::span<const unsigned char> canonical)
{
    auto filing = nlohmann::json::parse(canonical.begin(), canonical.end(), nullptr, false);
    if (filing.is_discarded() || !filing.is_object()) throw ProtocolError("not a filing");
    return filing;
}

nlohmann::json toJson(const SubmissionReceipt& receipt)
{
    return { { "caseNumber", receipt.caseNumber }, { "verificationCode", receipt.verificationCode },
        { "receivedAt", receipt.receivedAt } };
}

SubmissionReceipt parseSubmissionReceipt(std::string_view body)
{
    const auto json = nlohmann::json::parse(body, nullptr, false);
    if (json.is_discarded() || !json.is_object())
        throw ProtocolError("receipt is not a JSON object");
    auto field = [&](const char* name) {
        const auto it = json.find(name);
        const auto* value = it == json.end() ? nullptr : it->get_ptr<const std::string*>();
        if (value == nullptr || value->empty())
            throw ProtocolError(std::string("receipt lacks ") + name);
        return *value;
    };
    SubmissionReceipt receipt { field("caseNumber"), field("verificationCode"),
        field("receivedAt") };
    const auto& code = receipt.verificationCode;
    if (code.size() != 16
        || !std::all_of(code.begin(), code.end(), [](char c) { return c >= '0' && c <= '9'; }))
        throw ProtocolError("receipt has a malformed verification code");
    return receipt;
}

} // namespace shensu::network::protocol
