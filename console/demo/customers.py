"""The demo's customers: names from many languages (the console must show them right), real cities
with their coordinates so routing can measure the distance to each location."""

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class Customer:
    name: str
    email: str
    phone: str
    street: str
    city: str
    state: str
    postal_code: str
    country: str
    latitude: str
    longitude: str

    def address(self, *, name: str | None = None, with_contact: bool = True) -> dict:
        """The address as the ingest API takes it (billTo or deliverTo)."""
        address = {
            "name": name or self.name, "street": self.street, "city": self.city, "state": self.state,
            "postalCode": self.postal_code, "country": self.country,
            "latitude": Decimal(self.latitude), "longitude": Decimal(self.longitude),
        }
        if with_contact:
            address.update(email=self.email, phone=self.phone)
        return address


US = [
    Customer("Zoë Washington", "zoe.washington@example.com", "+1 212 555 0142", "245 W 17th St", "New York", "NY",
             "10011", "US", "40.740700", "-73.998600"),
    Customer("José Álvarez", "jose.alvarez@example.com", "+1 305 555 0178", "1450 Brickell Ave", "Miami", "FL",
             "33131", "US", "25.759800", "-80.191800"),
    Customer("Renée O'Connor", "renee.oconnor@example.com", "+1 617 555 0131", "88 Beacon St", "Boston", "MA",
             "02108", "US", "42.356000", "-71.068100"),
    Customer("Nguyễn Văn An", "an.nguyen@example.com", "+1 714 555 0190", "10200 Bolsa Ave", "Westminster", "CA",
             "92683", "US", "33.744600", "-117.954900"),
    Customer("Björn Ångström", "bjorn.angstrom@example.com", "+1 612 555 0117", "1200 Nicollet Mall", "Minneapolis",
             "MN", "55403", "US", "44.972100", "-93.274900"),
    Customer("Siobhán Murphy", "siobhan.murphy@example.com", "+1 312 555 0164", "2100 N Lincoln Ave", "Chicago", "IL",
             "60614", "US", "41.920700", "-87.647300"),
    Customer("Ana María Peña", "anamaria.pena@example.com", "+1 512 555 0123", "1100 Congress Ave", "Austin", "TX",
             "78701", "US", "30.274700", "-97.740400"),
    Customer("Malik Johnson", "malik.johnson@example.com", "+1 404 555 0185", "675 Ponce De Leon Ave NE", "Atlanta",
             "GA", "30308", "US", "33.772600", "-84.365800"),
    Customer("Priya Raghunathan", "priya.r@example.com", "+1 206 555 0156", "400 Pine St", "Seattle", "WA", "98101",
             "US", "47.611900", "-122.337900"),
    Customer("Chloé Beaumont", "chloe.beaumont@example.com", "+1 504 555 0109", "701 Royal St", "New Orleans", "LA",
             "70116", "US", "29.958600", "-90.063100"),
    Customer("Tomasz Wiśniewski", "tomasz.w@example.com", "+1 773 555 0147", "3030 N Milwaukee Ave", "Chicago", "IL",
             "60618", "US", "41.936800", "-87.717900"),
    Customer("Kiana Kealoha", "kiana.kealoha@example.com", "+1 808 555 0133", "2255 Kalākaua Ave", "Honolulu", "HI",
             "96815", "US", "21.278900", "-157.828100"),
    Customer("Dmitri Volkov", "dmitri.volkov@example.com", "+1 720 555 0161", "1600 Champa St", "Denver", "CO",
             "80202", "US", "39.745200", "-104.993300"),
    Customer("Aaliyah Brooks", "aaliyah.brooks@example.com", "+1 215 555 0172", "1500 Walnut St", "Philadelphia",
             "PA", "19102", "US", "39.949100", "-75.166100"),
    Customer("Søren Kjær", "soren.kjaer@example.com", "+1 503 555 0115", "900 SW 5th Ave", "Portland", "OR", "97204",
             "US", "45.517200", "-122.677800"),
    Customer("Yuki Tanaka-Morales", "yuki.tm@example.com", "+1 415 555 0128", "2250 Mission St", "San Francisco",
             "CA", "94110", "US", "37.761400", "-122.419200"),
]

EU = [
    Customer("Jürgen Groß", "juergen.gross@example.de", "+49 30 5550 1234", "Kastanienallee 12", "Berlin", "Berlin",
             "10435", "DE", "52.538300", "13.409500"),
    Customer("Élodie Lefèvre", "elodie.lefevre@example.fr", "+33 1 55 50 12 34", "18 Rue de Bretagne", "Paris",
             "Île-de-France", "75003", "FR", "48.862800", "2.362000"),
    Customer("Łukasz Wróbel", "lukasz.wrobel@example.pl", "+48 22 555 01 23", "ul. Nowy Świat 21", "Warszawa",
             "Mazowieckie", "00-029", "PL", "52.233700", "21.019500"),
    Customer("Núria Puigdemont", "nuria.puig@example.es", "+34 93 555 0123", "Carrer de Provença 250", "Barcelona",
             "Catalunya", "08008", "ES", "41.394800", "2.159600"),
    Customer("Daan van der Berg", "daan.vdberg@example.nl", "+31 20 555 0123", "Prinsengracht 263", "Amsterdam",
             "Noord-Holland", "1016 GV", "NL", "52.375200", "4.883900"),
    Customer("Giulia Bianchi", "giulia.bianchi@example.it", "+39 02 5550 1234", "Corso di Porta Ticinese 60",
             "Milano", "Lombardia", "20123", "IT", "45.456200", "9.181100"),
    Customer("Aoife Ní Bhriain", "aoife.nibhriain@example.ie", "+353 1 555 0123", "22 Grafton St", "Dublin", "Dublin",
             "D02 HX96", "IE", "53.341400", "-6.259900"),
    Customer("Märta Lindqvist", "marta.lindqvist@example.se", "+46 8 555 012 34", "Götgatan 48", "Stockholm",
             "Stockholm", "118 26", "SE", "59.313500", "18.073400"),
]

JP = [
    Customer("山田 太郎", "taro.yamada@example.jp", "+81 3 5550 1234", "神南1-19-11", "渋谷区", "東京都",
             "150-0041", "JP", "35.663600", "139.699800"),
    Customer("佐藤 花子", "hanako.sato@example.jp", "+81 6 5550 1234", "梅田3-1-3", "大阪市北区", "大阪府",
             "530-0001", "JP", "34.702500", "135.495900"),
    Customer("鈴木 一郎", "ichiro.suzuki@example.jp", "+81 52 555 0123", "名駅1-1-4", "名古屋市中村区", "愛知県",
             "450-0002", "JP", "35.170900", "136.881500"),
    Customer("高橋 美咲", "misaki.takahashi@example.jp", "+81 75 555 0123", "烏丸通塩小路下ル東塩小路町",
             "京都市下京区", "京都府", "600-8216", "JP", "34.985800", "135.758800"),
    Customer("伊藤 健", "ken.ito@example.jp", "+81 11 555 0123", "北5条西2丁目", "札幌市中央区", "北海道",
             "060-0005", "JP", "43.068600", "141.350800"),
    Customer("渡辺 さくら", "sakura.watanabe@example.jp", "+81 92 555 0123", "博多駅中央街1-1", "福岡市博多区",
             "福岡県", "812-0012", "JP", "33.589700", "130.420700"),
]

CUSTOMERS = {"US": US, "EU": EU, "JP": JP}
