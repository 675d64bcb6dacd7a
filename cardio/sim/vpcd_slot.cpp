// vpcd's wire protocol over TCP: 2-byte big-endian length + payload; a 1-byte payload is a control
// byte (0 power off, 1 power on, 2 reset, 4 get ATR — only get ATR is answered), anything longer is
// a command APDU.
#include "vpcd_slot.hpp"

#include <cerrno>
#include <chrono>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

namespace shensu::cardsim
{

namespace
{
    constexpr auto CONNECT_RETRY = std::chrono::milliseconds(50);

    // Debian's vpcd sends length and payload in two send()s; without a quick ACK before every recv,
    // Nagle and delayed ACK cost ~44 ms per APDU (ARCHITECTURE §7).
    bool recvAll(int fd, std::uint8_t* buffer, std::size_t size)
    {
        std::size_t done = 0;
        while (done < size) {
            const int one = 1;
            setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof one);
            const ssize_t n = recv(fd, buffer + done, size - done, 0);
            if (n == 0) return false;
            if (n < 0) {
                if (errno == EINTR) continue;
                return false;
            }
            done += static_cast<std::size_t>(n);
        }
        return true;
    }

    bool sendMessage(int fd, const Bytes& payload)
    {
        Bytes frame { static_cast<std::uint8_t>(payload.size() >> 8),
            static_cast<std::uint8_t>(payload.size() & 0xFF) };
        frame.insert(frame.end(), payload.begin(), payload.end());
        std::size_t done = 0;
        while (done < frame.size()) {
            const ssize_t n = send(fd, frame.data() + done, frame.size() - done, MSG_NOSIGNAL);
            if (n < 0) {
                if (errno == EINTR) continue;
                return false;
            }
            done += static_cast<std::size_t>(n);
        }
        return true;
    }
} // namespace

VpcdSlot::VpcdSlot(int index, std::uint16_t port, ApduLog& log)
    : index_(index)
    , port_(port)
    , log_(log)
    , thread_([this] { run(); })
{ }

VpcdSlot::~VpcdSlot()
{
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    remove();
    thread_.join();
}

bool VpcdSlot::insert(std::unique_ptr<SimCard> card, const std::string& kind)
{
    std::lock_guard lock(mutex_);
    if (card_) return false;
    card_ = std::move(card);
    kind_ = kind;
    ++generation_;
    changed_.notify_all();
    return true;
}

void VpcdSlot::remove()
{
    std::lock_guard lock(mutex_);
    card_.reset();
    kind_ = "empty";
    ++generation_;
    if (socket_ >= 0) shutdown(socket_, SHUT_RDWR); // wakes the thread's recv; it closes the socket
    changed_.notify_all();
}

std::string VpcdSlot::status() const
{
    std::lock_guard lock(mutex_);
    return kind_;
}

int VpcdSlot::connectToVpcd(std::uint64_t generation)
{
    sockaddr_in address {};
    address.sin_family = AF_INET;
    address.sin_port = htons(port_);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    for (;;) {
        const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0) return -1;
        // vpcd only listens once pcscd has loaded the driver: retry until it does (or the card is
        // taken away).
        if (connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0) {
            const int one = 1;
            setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
            return fd;
        }
        close(fd);
        std::unique_lock lock(mutex_);
        if (changed_.wait_for(
                lock, CONNECT_RETRY, [&] { return stopping_ || generation_ != generation; })) {
            return -1;
        }
    }
}

void VpcdSlot::run()
{
    for (;;) {
        std::shared_ptr<SimCard> card;
        std::uint64_t generation = 0;
        {
            std::unique_lock lock(mutex_);
            changed_.wait(lock, [this] { return stopping_ || card_; });
            if (stopping_) return;
            card = card_;
            generation = generation_;
        }
        card->reset();
        const int fd = connectToVpcd(generation);
        if (fd < 0) continue;
        {
            std::lock_guard lock(mutex_);
            if (generation_ != generation) {
                close(fd);
                continue;
            }
            socket_ = fd;
        }
        const bool pulled = serve(fd, *card);
        std::lock_guard lock(mutex_);
        socket_ = -1;
        close(fd);
        if (pulled && generation_ == generation) {
            card_.reset();
            kind_ = "empty";
            ++generation_;
        }
    }
}

bool VpcdSlot::serve(int fd, SimCard& card)
{
    for (;;) {
        std::uint8_t header[2];
        if (!recvAll(fd, header, sizeof header)) return false;
        Bytes payload(static_cast<std::size_t>((header[0] << 8) | header[1]));
        if (!recvAll(fd, payload.data(), payload.size())) return false;

        if (payload.size() == 1) {
            switch (payload[0]) {
            case 0x00: // power off
            case 0x01: // power on
            case 0x02: // reset
                card.reset();
                break;
            case 0x04: // get ATR: the only control message with an answer
                if (!sendMessage(fd, card.atr())) return false;
                break;
            default:
                break;
            }
            continue;
        }

        const std::optional<Bytes> response = card.answer(payload);
        const LogEntry entry = card.logEntry(payload);
        log_.write(index_, entry.command, response.value_or(Bytes {}), entry.extra);
        if (!response) return true;
        if (!sendMessage(fd, *response)) return false;
    }
}

} // namespace shensu::cardsim
