"""People remarket can reach: contacts and their consent."""
