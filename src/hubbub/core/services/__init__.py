"""Built-in services: NickServ (accounts) and ChanServ (registered channels).

Users talk to them with `PRIVMSG NickServ :REGISTER ...` or the `NS`/`CS`
shortcuts; they answer with NOTICEs. Their nicks are reserved.
"""
