// The HTTP face of the login service: POST /v1/auth/challenge, /v1/auth/card, /v1/auth/nhi.
#pragma once

#include "auth.hpp"

namespace httplib
{
class Server;
}

namespace shensu::central
{

// Registers the three handlers on server; auth must outlive it.
void addAuthRoutes(httplib::Server& server, AuthService& auth);

} // namespace shensu::central
