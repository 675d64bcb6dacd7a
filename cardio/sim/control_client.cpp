// The client side of the simulator's control socket (see control_client.hpp).
#include "control_client.hpp"

#include <cstring>
#include <stdexcept>

#include <sys/socket.h>
#include <unistd.h>

namespace shensu::cardsim
{

sockaddr_un unixAddress(const std::string& path)
{
    sockaddr_un address {};
    address.sun_family = AF_UNIX;
    if (path.size() >= sizeof address.sun_path)
        throw std::runtime_error("control socket path too long: " + path);
    std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
    return address;
}

std::string askControl(const std::string& path, const std::string& line)
{
    const sockaddr_un address = unixAddress(path);
    const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) throw std::runtime_error("socket failed");
    if (connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
        close(fd);
        throw std::runtime_error("cannot reach the simulator's control socket " + path);
    }
    const std::string request = line + "\n";
    send(fd, request.data(), request.size(), MSG_NOSIGNAL);
    std::string reply;
    char c = 0;
    while (recv(fd, &c, 1, 0) == 1 && c != '\n')
        reply.push_back(c);
    close(fd);
    return reply;
}

} // namespace shensu::cardsim
