"""People's names, phone numbers and families: lists of common names,
combined at random, and the 555-01xx numbers kept for fiction."""
from __future__ import annotations

import random

from district_server.demo.choices import weighted

GIRLS = ("Sofia Isabella Camila Valentina Emily Mia Olivia Emma Ava Abigail Sophia Natalie "
         "Ashley Genesis Victoria Daniela Angelina Chloe Madison Samantha Alexa Ximena Kimberly "
         "Evelyn Leah Grace Hannah Jasmine Aaliyah Zoe Maya Nicole Andrea Valeria Elena Lucia "
         "Gabriela Melanie Stephanie Brianna Jocelyn Vanessa Diana Alyssa Michelle Leslie Ruby "
         "Hazel Nora Elizabeth").split()
BOYS = ("Daniel Anthony Jacob Matthew David Joshua Christopher Andrew Ethan Alexander "
        "Sebastian Adrian Angel Diego Jose Luis Carlos Jonathan Kevin Brandon Nathan Isaac "
        "Gabriel Julian Aaron Benjamin Samuel Noah Liam Elijah Mason Lucas Dylan Ryan Jayden "
        "Christian Leonardo Emiliano Mateo Santiago Eric Justin Marcus Steven Jason Victor Oscar "
        "Miguel Adam Henry").split()
WOMEN = ("Maria Patricia Jennifer Linda Elizabeth Laura Susan Karen Lisa Sandra Veronica Rosa "
         "Ana Claudia Monica Adriana Silvia Yolanda Teresa Guadalupe Jessica Amanda Melissa "
         "Rebecca Christina Angela Michelle Erica Leticia Norma").split()
MEN = ("Jose Juan Carlos Luis Jorge Francisco Miguel Antonio Manuel Ricardo Roberto David "
       "Michael James Robert John William Richard Thomas Mark Steven Paul Kenneth Brian Edward "
       "Ronald Kevin Jason Raul Hector").split()
LANG_FIRST = {  # language -> (female, male) names used in some families
    "ko": ("Seoyeon Jiwoo Hayoon Minseo Yuna Soyeon Eunji".split(),
           "Minjun Seojun Dohyun Jiho Junseo Hyunwoo Sungmin".split()),
    "zh": ("Mei Xinyi Yutong Jiayi Ling Huiying Xiaoli".split(),
           "Wei Haoran Yichen Zihao Jun Ming Jianguo".split()),
    "tl": ("Angelica Kristine Maricel Princess Jasmine Rowena Marites".split(),
           "Mark Paolo Carlo Miguel Jerome Rodel Ramon".split()),
    "vi": ("Linh Anh Thao Ngoc Mai Trang Huong".split(),
           "Minh Khoa Huy Bao Duc Long Tuan".split()),
    "hy": ("Ani Mariam Nare Lilit Anahit Arpi Gayane".split(),
           "Narek Davit Tigran Aram Levon Gor Armen".split()),
    "ru": ("Anastasia Sofia Daria Polina Ekaterina Alina Irina".split(),
           "Artem Maxim Ivan Dmitri Nikita Alexei Sergei".split()),
}
LAST = {
    "en": ("Smith Johnson Williams Brown Jones Miller Davis Wilson Anderson Taylor Thomas Moore "
           "Jackson Martin Thompson White Harris Clark Lewis Robinson Walker Young Allen King "
           "Wright Scott Green Baker Adams Nelson Hill Campbell Mitchell Roberts Carter Phillips "
           "Evans Turner Parker Collins Edwards Stewart Morris Murphy Cook Rogers Reed Bailey "
           "Bell Cooper Richardson Howard Ward Brooks Washington Coleman Jenkins Hayes").split(),
    "es": ("Garcia Rodriguez Martinez Hernandez Lopez Gonzalez Perez Sanchez Ramirez Torres "
           "Flores Rivera Gomez Diaz Cruz Morales Reyes Gutierrez Ortiz Ramos Castillo Chavez "
           "Mendoza Ruiz Alvarez Jimenez Moreno Romero Vasquez Herrera Medina Aguilar Vargas "
           "Castro Guzman Salazar Delgado Contreras Estrada Figueroa Navarro Rojas Soto "
           "Cervantes Avila Ochoa Juarez Zamora Rios Pena").split(),
    "ko": "Kim Lee Park Choi Jung Kang Cho Yoon Jang Lim Han Shin Seo Kwon Hwang Song Ahn".split(),
    "zh": "Wang Li Zhang Liu Chen Yang Huang Zhao Wu Zhou Xu Sun Ma Zhu Hu Lin Guo".split(),
    "tl": ("Santos Reyes Cruz Bautista Ocampo Mendoza Villanueva Aquino Ramos Castillo "
           "Manalo Pascual Navarro").split(),
    "vi": "Nguyen Tran Le Pham Hoang Phan Vu Vo Dang Bui Do Ho Ngo Duong Ly".split(),
    "hy": ("Petrosyan Sargsyan Harutyunyan Hakobyan Grigoryan Vardanyan Karapetyan Avetisyan "
           "Ghazaryan Manukyan Gasparyan Babayan").split(),
    "ru": "Ivanov Smirnov Kuznetsov Popov Volkov Sokolov Lebedev Kozlov Novikov Morozov".split(),
}
NICKNAMES = {"Alexander": "Alex", "Christopher": "Chris", "Jonathan": "Jon", "Benjamin": "Ben",
             "Samuel": "Sam", "Matthew": "Matt", "Daniel": "Danny", "Anthony": "Tony",
             "Joshua": "Josh", "Jacob": "Jake", "Gabriel": "Gabe", "Leonardo": "Leo",
             "Santiago": "Santi", "Jose": "Pepe", "Elizabeth": "Liz", "Samantha": "Sam",
             "Isabella": "Bella", "Victoria": "Tori", "Abigail": "Abby", "Alexa": "Lexi",
             "Stephanie": "Steph", "Gabriela": "Gaby", "Natalie": "Nat", "Valentina": "Vale",
             "Anastasia": "Nastya", "Ekaterina": "Katya", "Dmitri": "Dima"}
AREA_CODES = ("213", "323", "310", "818", "424", "747", "562")


def adult_name(rng: random.Random) -> str:
    first = rng.choice(WOMEN if rng.random() < 0.5 else MEN)
    return f"{first} {rng.choice(LAST['en'] + LAST['es'])}"


LANGUAGE = weighted(("en", 55), ("es", 35), ("ko", 2.5), ("zh", 2), ("tl", 1.5), ("vi", 1.5),
                    ("hy", 1.5), ("ru", 1))
FIRST_GUARDIAN = weighted(("Mother", 62), ("Father", 24), ("Grandmother", 6), ("Guardian", 3),
                          ("Aunt", 2.5), ("Grandfather", 1.5), ("Foster Parent", 1))
SECOND_GUARDIAN = {
    "Mother": weighted(("Father", 80), ("Stepfather", 10), ("Grandmother", 6),
                       ("Grandfather", 4)),
    "Father": weighted(("Mother", 75), ("Stepmother", 12), ("Grandmother", 13)),
    "Grandmother": weighted(("Grandfather", 60), ("Aunt", 20), ("Mother", 20)),
}
OTHER_GUARDIAN = weighted(("Uncle", 40), ("Aunt", 40), ("Guardian", 20))
WOMEN_RELATIONS = {"Mother", "Grandmother", "Aunt", "Stepmother"}
SAME_SURNAME = {"Father", "Grandfather", "Uncle", "Guardian", "Foster Parent"}
