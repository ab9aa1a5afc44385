// Flags that configure a session, shared by the subcommands that create one.
#pragma once

#include "kiln/session.h"
#include "tools/kiln/commands.h"

namespace kiln::cli {

struct SessionFlags {
    SessionOptions options;
    std::string provider = "cpu";      // -e / --provider: cpu or openvino
    ProviderOptions provider_options;  // -i / --provider-options "key|value key|value"

    // The options with the chosen provider appended. UsageError when -i is given without -e openvino.
    SessionOptions session_options() const;
};

// Consumes args[i] (and its value) when it is --threads N, --dim NAME=N, --opt-level L, -e/--provider P,
// -i/--provider-options "k|v ..." or -C/--config "k|v ..."; false otherwise.
bool parse_session_flag(const Args& args, size_t& i, SessionFlags& flags);

}  // namespace kiln::cli
