// Canonical filing bytes and the submission receipt, as JSON.
#include <network/protocol.hpp>

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

std::string receiptBytes(const SubmissionReceipt& receipt)
{
    const nlohmann::json json { { "caseNumber", receipt.caseNumber },
        { "verificationCode", receipt.verificationCode }, { "receivedAt", receipt.receivedAt },
        { "envelopeDigest", receipt.envelopeDigest }, { "idempotencyKey", receipt.idempotencyKey },
        { "kioskId", receipt.kioskId }, { "initialReportDue", receipt.initialReportDue },
        { "resultReportDue", receipt.resultReportDue } };
    return json.dump(-1, ' ', false, nlohmann::json::error_handler_t::strict);
}

namespace
{
    std::string stringField(const nlohmann::json& json, const char* name, const char* what)
    {
        const auto it = json.find(name);
        const auto* value = it == json.end() ? nullptr : it->get_ptr<const std::string*>();
        if (value == nullptr || value->empty())
            throw ProtocolError(std::string(what) + " lacks " + name);
        return *value;
    }

    bool allOf(const std::string& s, std::size_t size, const char* alphabet)
    {
        return s.size() == size && s.find_first_not_of(alphabet) == std::string::npos;
    }
} // namespace

SubmissionReceipt parseSubmissionReceipt(std::string_view text)
{
    const auto json = nlohmann::json::parse(text, nullptr, false);
    if (json.is_discarded() || !json.is_object())
        throw ProtocolError("receipt is not a JSON object");
    auto field = [&](const char* name) { return stringField(json, name, "receipt"); };
    SubmissionReceipt receipt { field("caseNumber"), field("verificationCode"), field("receivedAt"),
        field("envelopeDigest"), field("idempotencyKey"), field("kioskId"),
        field("initialReportDue"), field("resultReportDue") };
    if (!isWellFormedVerificationCode(receipt.verificationCode))
        throw ProtocolError("receipt has a malformed verification code");
    if (!allOf(receipt.envelopeDigest, 64, "0123456789abcdef"))
        throw ProtocolError("receipt has a malformed envelope digest");
    if (!allOf(receipt.initialReportDue, 10, "0123456789-")
        || !allOf(receipt.resultReportDue, 10, "0123456789-"))
        throw ProtocolError("receipt has a malformed due date");
    return receipt;
}

std::string toBody(const SignedReceipt& signedReceipt)
{
    return nlohmann::json {
        { "receipt", signedReceipt.receipt }, { "signature", signedReceipt.signature }
    }.dump();
}

SignedReceipt parseSignedReceipt(std::string_view body)
{
    const auto json = nlohmann::json::parse(body, nullptr, false);
    if (json.is_discarded() || !json.is_object())
        throw ProtocolError("answer is not a JSON object");
    return { stringField(json, "receipt", "answer"), stringField(json, "signature", "answer") };
}

std::string heartbeatBody(const Heartbeat& heartbeat)
{
    nlohmann::json readers = nlohmann::json::array();
    for (const auto& r : heartbeat.readers)
        readers.push_back({ { "name", r.name }, { "state", r.state } });
    return nlohmann::json {
        { "version", heartbeat.version }, { "outboxDepth", heartbeat.outboxDepth },
        { "oldestOutboxAgeSeconds", heartbeat.oldestOutboxAgeSeconds },
        { "heldFilings", heartbeat.heldFilings }, { "readers", readers }
    }.dump(-1, ' ', false, nlohmann::json::error_handler_t::strict);
}

Heartbeat parseHeartbeat(std::string_view body)
{
    const auto json = nlohmann::json::parse(body, nullptr, false);
    if (json.is_discarded() || !json.is_object())
        throw ProtocolError("heartbeat is not a JSON object");
    for (const auto& [key, value] : json.items()) {
        if (key != "version" && key != "outboxDepth" && key != "oldestOutboxAgeSeconds"
            && key != "heldFilings" && key != "readers")
            throw ProtocolError("heartbeat has an unexpected field '" + key + "'");
    }
    Heartbeat h;
    const auto* version
        = json.contains("version") ? json["version"].get_ptr<const std::string*>() : nullptr;
    // Restricted alphabets: free text here could carry a name or an ID number.
    if (!version || version->empty() || version->size() > 64
        || version->find_first_not_of(
               "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz.+~-")
            != std::string::npos)
        throw ProtocolError("heartbeat needs a version (1-64 of [0-9A-Za-z.+~-])");
    h.version = *version;
    auto count = [&](const char* name) -> std::int64_t {
        if (!json.contains(name) || !json[name].is_number_integer()
            || json[name].get<std::int64_t>() < 0)
            throw ProtocolError(std::string("heartbeat needs ") + name + " >= 0");
        return json[name].get<std::int64_t>();
    };
    h.outboxDepth = count("outboxDepth");
    h.oldestOutboxAgeSeconds = count("oldestOutboxAgeSeconds");
    h.heldFilings = json.contains("heldFilings") ? count("heldFilings") : 0;
    const auto readers = json.value("readers", nlohmann::json::array());
    if (!readers.is_array() || readers.size() > 16)
        throw ProtocolError("heartbeat readers must be an array of at most 16");
    for (const auto& r : readers) {
        if (!r.is_object() || r.size() != 2 || !r.contains("name") || !r.contains("state")
            || !r["name"].is_string() || !r["state"].is_string())
            throw ProtocolError("a heartbeat reader is {name, state}");
        ReaderHealth reader { r["name"].get<std::string>(), r["state"].get<std::string>() };
        if (reader.name.size() > 128) throw ProtocolError("reader name too long");
        for (const char c : reader.name)
            if (c < 0x20 || c > 0x7e)
                throw ProtocolError("a reader name is printable ASCII (PC/SC names are)");
        if (reader.state != "empty" && reader.state != "card" && reader.state != "unavailable")
            throw ProtocolError("reader state must be empty, card or unavailable");
        h.readers.push_back(std::move(reader));
    }
    return h;
}

} // namespace shensu::network::protocol
