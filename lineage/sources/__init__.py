"""Where repo metadata comes from: the Hub, an offline mirror, a local folder."""
