// RAII over PC/SC: the context, a card connection, and the return-code table behind pcscCall.
#include "cardio/pcsc.hpp"

#include "pcsc_call.hpp"

#include <algorithm>
#include <array>
#include <cstdio>
#include <utility>

namespace shensu::cardio
{

namespace detail
{

    namespace
    {
        struct PcscCodeRow {
            LONG rv;
            CardErrorCode code;
        };

        // Status → outcome as data. Anything not listed is INTERNAL (a bug or a broken
        // environment).
        constexpr std::array PCSC_CODES {
            PcscCodeRow {
                static_cast<LONG>(SCARD_E_NO_SERVICE), CardErrorCode::SERVICE_UNAVAILABLE },
            PcscCodeRow {
                static_cast<LONG>(SCARD_E_SERVICE_STOPPED), CardErrorCode::SERVICE_UNAVAILABLE },
            // pcsc-lite returns SCARD_F_COMM_ERROR ("RPC transport error") when its socket to pcscd
            // breaks: pcscd died.
            PcscCodeRow {
                static_cast<LONG>(SCARD_F_COMM_ERROR), CardErrorCode::SERVICE_UNAVAILABLE },
            PcscCodeRow {
                static_cast<LONG>(SCARD_E_NO_READERS_AVAILABLE), CardErrorCode::NO_READERS },
            PcscCodeRow { static_cast<LONG>(SCARD_E_UNKNOWN_READER), CardErrorCode::NO_READERS },
            PcscCodeRow {
                static_cast<LONG>(SCARD_E_READER_UNAVAILABLE), CardErrorCode::NO_READERS },
            PcscCodeRow { static_cast<LONG>(SCARD_E_NO_SMARTCARD), CardErrorCode::NO_CARD },
            PcscCodeRow { static_cast<LONG>(SCARD_W_REMOVED_CARD), CardErrorCode::CARD_REMOVED },
            PcscCodeRow { static_cast<LONG>(SCARD_W_RESET_CARD), CardErrorCode::CARD_RESET },
            PcscCodeRow { static_cast<LONG>(SCARD_E_CANCELLED), CardErrorCode::CANCELLED },
            PcscCodeRow {
                static_cast<LONG>(SCARD_E_COMM_DATA_LOST), CardErrorCode::COMMUNICATION_FAILED },
            PcscCodeRow {
                static_cast<LONG>(SCARD_E_NOT_TRANSACTED), CardErrorCode::COMMUNICATION_FAILED },
            PcscCodeRow {
                static_cast<LONG>(SCARD_W_UNRESPONSIVE_CARD), CardErrorCode::COMMUNICATION_FAILED },
            PcscCodeRow {
                static_cast<LONG>(SCARD_W_UNPOWERED_CARD), CardErrorCode::COMMUNICATION_FAILED },
            PcscCodeRow {
                static_cast<LONG>(SCARD_E_PROTO_MISMATCH), CardErrorCode::COMMUNICATION_FAILED },
            PcscCodeRow { static_cast<LONG>(SCARD_E_TIMEOUT), CardErrorCode::COMMUNICATION_FAILED },
            PcscCodeRow {
                static_cast<LONG>(SCARD_E_SHARING_VIOLATION), CardErrorCode::COMMUNICATION_FAILED },
            PcscCodeRow {
                static_cast<LONG>(SCARD_W_UNSUPPORTED_CARD), CardErrorCode::UNSUPPORTED_CARD },
            PcscCodeRow {
                static_cast<LONG>(SCARD_E_CARD_UNSUPPORTED), CardErrorCode::UNSUPPORTED_CARD },
        };
    } // namespace

    CardErrorCode cardErrorCodeFor(LONG rv) noexcept
    {
        const auto* row = std::find_if(PCSC_CODES.begin(), PCSC_CODES.end(),
            [rv](const PcscCodeRow& r) { return r.rv == rv; });
        return row == PCSC_CODES.end() ? CardErrorCode::INTERNAL : row->code;
    }

    void throwPcscError(const char* function, LONG rv)
    {
        char code[16];
        std::snprintf(code, sizeof code, "0x%08lX", static_cast<unsigned long>(rv) & 0xFFFFFFFFUL);
        throw CardError(cardErrorCodeFor(rv),
            std::string(function) + " failed: " + pcsc_stringify_error(rv) + " (" + code + ")", rv);
    }

    std::vector<std::string> listReaders(SCARDCONTEXT context)
    {
        DWORD size = 0;
        LONG rv = SCardListReaders(context, nullptr, nullptr, &size);
        if (rv == SCARD_E_NO_READERS_AVAILABLE) return {};
        if (rv != SCARD_S_SUCCESS) throwPcscError("SCardListReaders", rv);
        std::string buffer(size, '\0');
        rv = SCardListReaders(context, nullptr, buffer.data(), &size);
        if (rv == SCARD_E_NO_READERS_AVAILABLE) return {};
        if (rv != SCARD_S_SUCCESS) throwPcscError("SCardListReaders", rv);
        // A multi-string: names separated by NUL, ended by an empty name.
        std::vector<std::string> names;
        for (std::size_t pos = 0; pos < buffer.size() && buffer[pos] != '\0';) {
            std::string name(buffer.c_str() + pos);
            pos += name.size() + 1;
            names.push_back(std::move(name));
        }
        return names;
    }

} // namespace detail

namespace
{
    // How long to wait for pcscd to confirm that a card which stopped answering has left the
    // reader; pcscd polls presence about every 400 ms.
    constexpr DWORD PRESENCE_CONFIRM_MS = 600;
} // namespace

struct Context::Impl {
    SCARDCONTEXT handle = 0;
};

Context::Context()
    : impl_(std::make_unique<Impl>())
{
    SHENSU_PCSC(
        SCardEstablishContext, DWORD { SCARD_SCOPE_SYSTEM }, nullptr, nullptr, &impl_->handle);
}

Context::~Context()
{
    SCardReleaseContext(impl_->handle); // nothing useful to do with a failure here
}

std::vector<std::string> Context::readers() const
{
    return detail::listReaders(impl_->handle);
}

struct CardConnection::Impl {
    SCARDCONTEXT context = 0;
    SCARDHANDLE handle = 0;
    DWORD protocol = 0;
    std::string reader;
    Bytes atr;
};

CardConnection::CardConnection(Context& context, const std::string& reader)
    : impl_(std::make_unique<Impl>())
{
    impl_->reader = reader;
    impl_->context = context.impl().handle;
    SHENSU_PCSC(SCardConnect, context.impl().handle, reader.c_str(), DWORD { SCARD_SHARE_SHARED },
        DWORD { SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1 }, &impl_->handle, &impl_->protocol);
    try {
        readAtr();
    } catch (...) {
        SCardDisconnect(impl_->handle, SCARD_LEAVE_CARD);
        throw;
    }
}

void CardConnection::readAtr()
{
    std::array<BYTE, MAX_ATR_SIZE> atr {};
    DWORD atrLength = atr.size();
    DWORD state = 0;
    DWORD protocol = 0;
    DWORD nameLength = 0;
    // Reader name not wanted: pcsc-lite accepts a null buffer with a zero length.
    SHENSU_PCSC(SCardStatus, impl_->handle, nullptr, &nameLength, &state, &protocol, atr.data(),
        &atrLength);
    impl_->atr.assign(atr.begin(), atr.begin() + static_cast<std::ptrdiff_t>(atrLength));
}

void CardConnection::reconnect()
{
    SHENSU_PCSC(SCardReconnect, impl_->handle, DWORD { SCARD_SHARE_SHARED },
        DWORD { SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1 }, DWORD { SCARD_RESET_CARD },
        &impl_->protocol);
    readAtr();
}

CardConnection::~CardConnection()
{
    SCardDisconnect(impl_->handle, SCARD_LEAVE_CARD);
}

const Bytes& CardConnection::atr() const noexcept
{
    return impl_->atr;
}

const std::string& CardConnection::reader() const noexcept
{
    return impl_->reader;
}

void CardConnection::noStatusWord(unsigned long length) const
{
    // A reader that "succeeds" with no status word lost the card mid-command (vpcd does this when
    // the card's socket closes). pcscd notices a pulled card only at its next presence poll (~400
    // ms), so give it that long to say so before blaming the card: a person who pulled the card
    // must be told that, not that the card failed.
    SCARD_READERSTATE state {};
    state.szReader = impl_->reader.c_str();
    state.dwCurrentState = SCARD_STATE_UNAWARE;
    LONG rv = SCardGetStatusChange(impl_->context, 0, &state, 1);
    for (int polls = 0;
         rv == SCARD_S_SUCCESS && (state.dwEventState & SCARD_STATE_PRESENT) != 0 && polls < 2;
         ++polls) {
        state.dwCurrentState = state.dwEventState & ~DWORD { SCARD_STATE_CHANGED };
        rv = SCardGetStatusChange(impl_->context, PRESENCE_CONFIRM_MS, &state, 1);
    }
    if (rv == SCARD_S_SUCCESS && (state.dwEventState & SCARD_STATE_PRESENT) == 0)
        throw CardError(CardErrorCode::CARD_REMOVED, "card left during SCardTransmit");
    throw CardError(CardErrorCode::COMMUNICATION_FAILED,
        "reader returned " + std::to_string(length) + " bytes without a status word");
}

Bytes CardConnection::control(std::uint32_t code, const Bytes& in)
{
    Bytes out(512);
    DWORD length = 0;
    SHENSU_PCSC(SCardControl, impl_->handle, DWORD { code }, in.empty() ? nullptr : in.data(),
        static_cast<DWORD>(in.size()), out.data(), static_cast<DWORD>(out.size()), &length);
    out.resize(length);
    return out;
}

ResponseApdu CardConnection::transmit(const CommandApdu& command)
{
    const SCARD_IO_REQUEST* pci
        = impl_->protocol == SCARD_PROTOCOL_T0 ? SCARD_PCI_T0 : SCARD_PCI_T1;
    const RawExchange exchange = [this, pci](const Bytes& raw) {
        // 256 data bytes + SW1 SW2 is the most a short APDU can bring back.
        Bytes response(258);
        DWORD length = static_cast<DWORD>(response.size());
        SHENSU_PCSC(SCardTransmit, impl_->handle, pci, raw.data(), static_cast<DWORD>(raw.size()),
            nullptr, response.data(), &length);
        response.resize(length);
        if (length < 2) noStatusWord(length);
        return response;
    };
    return transmitFollowingStatus(exchange, command);
}

} // namespace shensu::cardio
