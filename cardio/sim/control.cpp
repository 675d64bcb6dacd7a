// The control socket: line-based insert/remove/status requests, served with poll() next to a
// signalfd.
#include "control.hpp"

#include "control_client.hpp"

#include <cerrno>
#include <charconv>
#include <cstring>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <system_error>

#include <poll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

namespace shensu::cardsim
{

namespace
{
    std::optional<std::size_t> parseSlot(const std::string& text, std::size_t slotCount)
    {
        std::size_t slot = 0;
        const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), slot);
        if (ec != std::errc {} || end != text.data() + text.size() || slot >= slotCount)
            return std::nullopt;
        return slot;
    }

    struct Client {
        int fd;
        std::string pending;
    };
} // namespace

std::string handleControlLine(std::string_view line, std::vector<std::unique_ptr<VpcdSlot>>& slots)
{
    std::istringstream words { std::string(line) };
    std::string verb, first, second, extra;
    words >> verb >> first >> second >> extra;
    if (!extra.empty()) return "error too many words";

    if (verb == "status" && first.empty()) {
        std::string reply = "ok";
        for (std::size_t i = 0; i < slots.size(); ++i)
            reply += " slot" + std::to_string(i) + "=" + slots[i]->status();
        return reply;
    }
    if (verb == "remove" && second.empty()) {
        const auto slot
            = first.empty() ? std::optional<std::size_t> { 0 } : parseSlot(first, slots.size());
        if (!slot) return "error no slot " + first;
        slots[*slot]->remove();
        return "ok";
    }
    if (verb == "insert" && !first.empty()) {
        const auto slot
            = second.empty() ? std::optional<std::size_t> { 0 } : parseSlot(second, slots.size());
        if (!slot) return "error no slot " + second;
        std::unique_ptr<SimCard> card;
        try {
            card = makeCard(first);
        } catch (const std::exception& e) {
            return "error cannot make " + first + ": " + e.what();
        }
        if (!card) return "error unknown card kind " + first;
        if (!slots[*slot]->insert(std::move(card), first)) {
            return "error slot " + std::to_string(*slot)
                + " already holds a card (remove it first)";
        }
        return "ok";
    }
    return "error unknown request (insert KIND [SLOT] | remove [SLOT] | status)";
}

void serveControl(
    const std::string& path, int signalFd, std::vector<std::unique_ptr<VpcdSlot>>& slots)
{
    const sockaddr_un address = unixAddress(path);
    const int listener = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (listener < 0) throw std::runtime_error("socket: " + std::generic_category().message(errno));
    struct stat existing {
    };
    if (lstat(path.c_str(), &existing) == 0 && S_ISSOCK(existing.st_mode))
        unlink(path.c_str()); // a stale run's
    if (bind(listener, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0
        || listen(listener, 8) != 0) {
        const std::string why = std::generic_category().message(errno);
        close(listener);
        throw std::runtime_error("cannot listen on " + path + ": " + why);
    }

    std::vector<Client> clients;
    for (;;) {
        std::vector<pollfd> fds { { signalFd, POLLIN, 0 }, { listener, POLLIN, 0 } };
        for (const auto& client : clients)
            fds.push_back({ client.fd, POLLIN, 0 });
        if (poll(fds.data(), fds.size(), -1) < 0) {
            if (errno == EINTR) continue;
            break;
        }
        if (fds[0].revents & POLLIN) break; // SIGTERM / SIGINT: time to go
        const std::size_t polled = clients.size(); // a client accepted below has no pollfd yet
        if (fds[1].revents & POLLIN) {
            const int fd = accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
            if (fd >= 0) clients.push_back({ fd, {} });
        }
        for (std::size_t i = 0; i < polled; ++i) {
            if ((fds[i + 2].revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
            Client& client = clients[i];
            char buffer[512];
            const ssize_t n = recv(client.fd, buffer, sizeof buffer, 0);
            if (n <= 0) {
                close(client.fd);
                client.fd = -1;
                continue;
            }
            client.pending.append(buffer, static_cast<std::size_t>(n));
            for (std::size_t end; (end = client.pending.find('\n')) != std::string::npos;) {
                std::string line = client.pending.substr(0, end);
                client.pending.erase(0, end + 1);
                if (!line.empty() && line.back() == '\r') line.pop_back();
                const std::string reply = handleControlLine(line, slots) + "\n";
                send(client.fd, reply.data(), reply.size(), MSG_NOSIGNAL);
            }
            if (client.pending.size() > 4096) { // nobody sends lines that long on purpose
                close(client.fd);
                client.fd = -1;
            }
        }
        std::erase_if(clients, [](const Client& c) { return c.fd < 0; });
    }
    for (const auto& client : clients)
        close(client.fd);
    close(listener);
    unlink(path.c_str());
}

} // namespace shensu::cardsim
